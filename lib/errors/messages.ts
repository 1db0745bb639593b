// Every error text in one place, so tests and docs can quote them.
import { describeCause, describeValue } from './describe-value.js';

export const messages = {
  callTimedOut: (process: string, timeoutMs: number) =>
    `call to process "${process}" timed out after ${timeoutMs} ms`,
  noSuchProcess: (process: string) => `no process is registered under the name "${process}"`,
  processCrashed: (process: string, messageType: string | undefined, cause: unknown) =>
    `process "${process}" crashed while handling ${describeType(messageType)}: ${describeCause(cause)}`,
  processStopped: (process: string, reason: string) => `process "${process}" is stopped (${reason})`,
  callCycle: (chain: readonly string[]) =>
    `call cycle detected: ${chain.join(' -> ')} (the target is already waiting in this call chain)`,
  unhandledMessage: (process: string, kind: string, messageType: string | undefined) =>
    `process "${process}" has no @Handle${capitalize(kind)} handler for ${describeType(messageType)}`,
  alreadyStarted: (process: string) => `a process named "${process}" is already running`,
  mailboxFull: (process: string, max: number) =>
    `mailbox of process "${process}" is full (${max} messages waiting)`,
  initTimedOut: (process: string, ms: number) =>
    `process "${process}": init() did not finish within initTimeoutMs (${ms} ms); the start fails with reason init_timeout`,
  initFailed: (process: string, cause: unknown) =>
    `process "${process}" failed in init(): ${describeCause(cause)}`,
  unknownType: (type: string, known: readonly string[]) =>
    `"${type}" is not a registered @GenServer type; registered: ${known.length ? known.join(', ') : '(none)'}`,
  invalidPayload: (process: string, what: string, messageType: string | undefined, found: string) =>
    `${what} for process "${process}" (${describeType(messageType)}) must be plain data, got ${found}`,
  payloadTooLarge: (process: string, what: string, messageType: string | undefined, bytes: number, maxBytes: number) =>
    `${what} for process "${process}" (${describeType(messageType)}) is ${bytes} bytes once encoded, more than the NATS server's max payload of ${maxBytes} bytes`,
  duplicateTypeName: (typeName: string, first: string, second: string) =>
    `two @GenServer classes answer to the type name "${typeName}": ${first} and ${second}; give one a distinct name with @GenServer({ type: '…' }) and refer to it by that name`,
  supervisorUnavailable: (supervisor: string, status: string) =>
    `supervisor "${supervisor}" takes no new children now: it ${status === 'restarting' ? 'is restarting its children; try again once it has' : status === 'failed' ? 'has given up (restart intensity reached)' : `is ${status}`}`,
  duplicateHandler: (className: string, kind: string, pattern: string | undefined) =>
    `${className} declares two @Handle${capitalize(kind)} handlers for ${pattern === undefined ? 'the catch-all' : `"${pattern}"`}`,
  agentBusy: (process: string, taskId: string, running: string) =>
    `agent "${process}" is busy with task "${running}" and refuses new tasks while busy (busy: 'reject'); task "${taskId}" was not started`,
  taskCancelled: (process: string, taskId: string, reason: string) => `task "${taskId}" of agent "${process}" was cancelled (${reason})`,
  invalidOption: (option: string, value: unknown, expected: string) => `${option} must be ${expected}, got ${describeValue(value)}`,
  abandoned: (process: string, what: string, ms: number) =>
    `process "${process}": ${what} did not finish within shutdownMs (${ms} ms); the instance is abandoned`,
  maxChildren: (supervisor: string, max: number) =>
    `dynamic supervisor "${supervisor}" already has its maximum of ${max} children`,
  noSuchNode: (node: string, live: readonly string[]) =>
    live.length === 0 ? `start on node "${node}": this app is not part of a cluster` : `no live node is named "${node}"; live nodes: ${live.join(', ')}`,
  noSuchSupervisor: (supervisor: string, known: readonly string[]) =>
    `no supervisor is named "${supervisor}"; supervisors: ${known.join(', ')}`,
  rootFailed: (root: string, reason: string) =>
    `root supervisor "${root}" reached its restart intensity (${reason}); the runtime has stopped`,
  invalidSupervision: (path: string, problem: string) => `supervision spec at ${path}: ${problem}`,
  topologyInvalid: (source: string, problems: readonly { path: string; line?: number; column?: number; message: string }[]) =>
    `topology ${source} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
    problems
      .map((p) => `  ${p.line === undefined ? '' : `${source}:${p.line}:${p.column}: `}${p.path}: ${p.message}`)
      .join('\n'),
  // Problems of a topology, one each (the path and line are added by TopologyError).
  topologyFileUnreadable: (absolute: string, cwd: string, cause: unknown) =>
    `cannot be read: ${thrownText(cause)} (tried ${absolute}; working directory ${cwd})`,
  topologyUnknownKey: (key: string, suggestion: string | undefined) =>
    `unknown key ${describeValue(key)}${suggestion === undefined ? '' : ` (did you mean \`${suggestion}\`?)`}`,
  topologyDuration: (rule: string, value: unknown) => `must be ${rule}, written .inf in YAML; got ${describeValue(value)}`,
  topologyPositiveDuration: (rule: string, value: unknown) => `must be more than 0 and ${rule}, written .inf in YAML; got ${describeValue(value)}`,
  topologyNameTaken: (name: string, first: string) => `the name "${name}" is already used at ${first}`,
  topologyNotMapping: (what: string) => `${what} must be a mapping`,
  topologyChildNotMapping: () => 'a child must be a mapping: a process (name, type), a `supervisor:` or a dynamic_supervisor',
  topologyNotList: (what: string) => `${what} must be a list`,
  topologyMailboxTwice: () => 'the mailbox bound is given twice: write max_mailbox or mailbox: { max }, not both',
  topologyStorePackage: (store: string, pkg: string) =>
    `the ${store} state store needs the package "${pkg}", which is not installed; install it with: npm i ${pkg}`,
  topologyUnknownType: (unknownType: string) =>
    `${unknownType} (types resolve only to @GenServer providers of this app, never to import paths)`,
  topologyRule: (rule: string) => `must be ${rule}`,
  topologyMust: (rule: string, value: unknown) => `must be ${rule}; got ${describeValue(value)}`,
  topologyTextOnly: () =>
    'must be text; a plain ${VAR} whose value reads as a number or true/false is typed so: quote it ("${VAR}")',
  topologyValueUnreadable: (cause: unknown) => `cannot be read: ${thrownText(cause)}`,
  topologyCycle: (ancestor: string) => `refers back to ${ancestor}, which contains it: a topology cannot contain itself`,
  topologyTooDeep: (max: number) => `is nested more than ${max} levels deep`,
  topologyTooLarge: (max: number) => `the topology holds more than ${max} values; it is not read further`,
  clusterFileUnreadable: (option: string, path: string, absolute: string, cwd: string, cause: unknown) =>
    `${option} names the file ${JSON.stringify(path)}, which cannot be read: ${thrownText(cause)} (tried ${absolute}; working directory ${cwd})`,
  staleEpoch: (process: string, epoch: number, storedEpoch: number) =>
    `state of process "${process}" was not saved: written under epoch ${epoch}, but the store holds a record of epoch ${storedEpoch} (a newer owner)`,
  corruptState: (process: string, reason: string) => `stored state of process "${process}" is unreadable: ${reason}`,
  stateTooNew: (process: string, recordVersion: number, codeVersion: number) =>
    `stored state of process "${process}" has version ${recordVersion}, newer than the code's stateVersion ${codeVersion}; the record is left untouched`,
  stateMigrationFailed: (process: string, from: number, to: number, cause: unknown) =>
    `state of process "${process}" could not be migrated from version ${from} to ${to}: ${describeCause(cause)}; the record is left untouched`,
  stateNotSerializable: (process: string, cause: unknown) =>
    `state of process "${process}" cannot be checkpointed: ${describeCause(cause)}`,
  // Typed clients (`@InjectGenServer`, `runtime.client`).
  clientAmbiguousMethod: (className: string, method: string, kind: string, patterns: readonly string[]) =>
    `${className}.${method} carries several @Handle${capitalize(kind)} patterns (${patterns.map((p) => `"${p}"`).join(', ')}) and none is "${method}", so a typed client cannot tell which one client.${kind}('${method}') means; give the method a single pattern, add @Handle${capitalize(kind)}('${method}'), or split it into one method per pattern`,
  clientShadowedCatchAll: (className: string, method: string, kind: string, other: string) =>
    `${className}.${method} is the @Handle${capitalize(kind)}() catch-all, but client.${kind}('${method}') would send type "${method}", which ${className}.${other} handles; give ${className}.${method} a pattern of its own, e.g. @Handle${capitalize(kind)}('${method}')`,
  clientWrongKind: (className: string, method: string, kind: string, other: string) =>
    `${className}.${method} is a @Handle${capitalize(other)} handler, not a @Handle${capitalize(kind)} one: use client.${other}('${method}')`,
  clientNotAHandler: (className: string, method: string, kind: string) =>
    `${className}.${method} is not a @Handle${capitalize(kind)} handler (a typed client sends only to methods that carry @HandleCall or @HandleCast)`,
  clientNoProcessName: (className: string, via: 'inject' | 'runtime') =>
    via === 'inject'
      ? `@InjectGenServer(${className}): ${className} has no @GenServer('name'), so the client does not know which process to talk to; name the process with @InjectGenServer('name', ${className})`
      : `runtime.client(${className}): ${className} has no @GenServer('name'), so the client does not know which process to talk to; name the process with runtime.client('name', ${className})`,
  clientTypeMismatch: (binding: string, name: string, className: string, declared: string) =>
    `${binding}: the process "${name}" is declared with the type ${declared}, not ${className}; bind the client to ${declared} or use another name`,
  clientMethodName: (found: string) => `a message name that is not a string (${found})`,
  notRunningInProcess: (className: string) =>
    `${className} is not running as a process: start it with GenServerRuntime.start() or list it as a named @GenServer provider`,
};

/** The message of a thrown value, an Error of another realm included (Node's fs errors under a VM). Never throws. */
function thrownText(thrown: unknown): string {
  try {
    const message = (thrown as { message?: unknown } | null)?.message;
    if (typeof message === 'string') return message;
  } catch {
    // a Proxy or getter that throws: described below
  }
  return describeCause(thrown);
}

function describeType(messageType: string | undefined): string {
  return messageType === undefined ? 'a message without a "type"' : `message "${messageType}"`;
}

function capitalize(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}
