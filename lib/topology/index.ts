export { topology } from './topology.config.js';
export { loadTopology, parseTopology } from './topology.loader.js';
