export { GenServerDashboardModule } from './genserver-dashboard.module.js';
export type { GenServerDashboardOptions, DashboardSnapshot, DashboardProcess } from './dashboard-options.interface.js';
