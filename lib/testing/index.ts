export { GenServerTestingModule } from './genserver-testing.module.js';
export { GenServerTesting } from './genserver-testing.js';
export { VirtualClock } from './virtual-clock.js';
export { GenServerFaults } from './genserver-faults.js';
export { TestProbe, type ProbeCall } from './test-probe.js';
export type { ProbeMessage } from './probe.process.js';
export { TestProbeError } from './test-probe-error.js';
export { ClockNotIdleError } from './clock-not-idle.error.js';
export { InjectedFaultError } from './injected-fault.error.js';
