export { Telemetry, type MessageTrace, type Outcome, type TelemetrySource, type TracedMessage } from './telemetry.js';
export { fromW3C, toW3C, type TraceCarrier } from './trace-carrier.js';
