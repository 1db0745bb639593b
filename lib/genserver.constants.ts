/** Metadata key under which `@GenServer` records its options on a class. */
export const GENSERVER_METADATA = 'genserver:server';
/** Metadata keys under which the handler decorators record their patterns on a method. */
export const HANDLE_CALL_METADATA = 'genserver:handle_call';
export const HANDLE_CAST_METADATA = 'genserver:handle_cast';
export const HANDLE_INFO_METADATA = 'genserver:handle_info';
/** Metadata key under which `@Agent` records its agent options on a class. */
export const AGENT_METADATA = 'genserver:agent';
/** Metadata key under which `@Tool` records a tool's options on a method. */
export const TOOL_METADATA = 'genserver:tool';
/** Metadata key of the file a `@GenServer` class was declared in (a worker imports it from there). */
export const GENSERVER_FILE_METADATA = 'genserver:file';

/**
 * A runtime object that status, logs and events show as a short text rather than walk (a `From`
 * holds the pending call behind it): the method under this key returns that text.
 */
export const SHOWN_AS = Symbol('genserver:shown-as');

/** Defaults that apply when neither the module nor the process says otherwise. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_RESTARTS = 3;
export const DEFAULT_RESTART_WINDOW_MS = 5000;
/** Messages a mailbox handles in one turn before it yields to the event loop (OTP gives a process ~4000 reductions per slice). */
export const DEFAULT_DRAIN_BUDGET = 4000;

/**
 * Provider token of the fault hooks the testing kit (`nestjs-genserver/testing`) installs; the
 * runtime runs without them (one null check per message).
 */
export const GENSERVER_FAULTS = Symbol('genserver:faults');

/** Provider token of the dashboard's options (`GenServerDashboardModule.forRoot`). */
export const DASHBOARD_OPTIONS = Symbol('genserver:dashboard-options');
