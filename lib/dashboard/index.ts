export { GenServerDashboardModule } from './genserver-dashboard.module.js';
export type { GenServerDashboardOptions, DashboardSnapshot, DashboardProcess, DashboardDelta, DashboardUpdate, DashboardTreeNode } from './dashboard-options.interface.js';
