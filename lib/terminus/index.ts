export { GenServerHealthIndicator, type GenServerHealthOptions } from './genserver.health-indicator.js';
