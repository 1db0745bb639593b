import { readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { TopologyError, type TopologyProblem } from '../errors/topology.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import type { ChildSpec, SupervisorSpec } from '../supervisor/supervision.interfaces.js';
import type { CheckpointPolicy, StateStoreSpec } from '../state/state-store.interface.js';
import { interpolateEnv } from './env-interpolation.js';
import { recordTypeLocation } from './topology-source.js';
import {
  dynamicSupervisorSchema,
  genserverSchema,
  processChildSchema,
  supervisorSchema,
  supervisorWrapperSchema,
  type DynamicSupervisorYaml,
  type ProcessChildYaml,
  type StateStoreYaml,
  type SupervisorYaml,
} from './topology.schema.js';

type Path = (string | number)[];
type Locate = (path: Path, atKey?: boolean) => { line: number; column: number } | undefined;

/**
 * Reads a topology — a YAML file path, or an object of the same shape — into module options.
 * The genserver section is the document's `genserver` key, or the whole document when it has none
 * (Civitas writes `supervision:` at the top). `${VAR}` and `${VAR:-default}` in values are replaced
 * from `env`. Every problem is collected and thrown at once as `TopologyError`.
 */
export function loadTopology(source: string | Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): GenServerModuleOptions {
  if (typeof source !== 'string') return new TopologyReader('(object)', () => undefined).read(source, []);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    throw new TopologyError(source, [{ path: '(file)', message: `cannot be read: ${(error as Error).message}` }]);
  }
  return parseTopology(text, source, env);
}

/** Parses YAML text (named `label` in errors) into module options. */
export function parseTopology(text: string, label: string, env: NodeJS.ProcessEnv = process.env): GenServerModuleOptions {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntax: TopologyProblem[] = doc.errors.map((error) => ({ path: '(yaml)', ...at(error.pos[0]), message: error.message.split('\n')[0]! }));
  if (syntax.length > 0) throw new TopologyError(label, syntax);
  const problems = interpolateEnv(doc, env).map(({ node, path, message }) => ({ path: formatPath(path), ...at(node.range?.[0] ?? 0), message }));
  if (problems.length > 0) throw new TopologyError(label, problems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias with no anchor, or an alias bomb
    throw new TopologyError(label, [{ path: '(yaml)', ...at(0), message: (error as Error).message }]);
  }
  const hasSection = data !== null && typeof data === 'object' && 'genserver' in data;
  const section = hasSection ? (data as { genserver: unknown }).genserver : (data ?? {});
  return new TopologyReader(label, (path, atKey) => locate(doc, path, at, atKey)).read(section, hasSection ? ['genserver'] : []);
}

/** Validates one genserver section and turns it into module options. */
class TopologyReader {
  private readonly problems: TopologyProblem[] = [];
  private readonly names = new Map<string, string>();

  constructor(
    private readonly label: string,
    private readonly locate: Locate,
  ) {}

  read(section: unknown, base: Path): GenServerModuleOptions {
    const root = this.check(genserverSchema, section, base);
    const supervision = root?.supervision ? this.supervisor(root.supervision, [...base, 'supervision']) : undefined;
    if (this.problems.length > 0 || !root) throw new TopologyError(this.label, this.problems);
    return clean({
      callTimeout: root.call_timeout_ms,
      maxMailbox: root.max_mailbox,
      drainBudget: root.drain_budget,
      checkPayloads: root.check_payloads,
      onRootFailure: root.on_root_failure,
      stateStore: toStateStore(root.state_store),
      supervision,
    });
  }

  private supervisor(value: unknown, path: Path): SupervisorSpec | undefined {
    const spec = this.check(supervisorSchema, value, path);
    if (!spec) return undefined;
    this.claim(spec.name, path);
    const children = (spec.children ?? []).map((child, index) => this.child(child, [...path, 'children', index]));
    return clean({ ...this.supervisorOptions(spec), strategy: spec.strategy, children: children.filter((c) => c !== undefined) });
  }

  private child(value: unknown, path: Path): ChildSpec | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, 'a child must be a mapping: a process (name, type), a `supervisor:` or a dynamic_supervisor');
      return undefined;
    }
    if ('supervisor' in value) {
      const wrapper = this.check(supervisorWrapperSchema, value, path);
      const nested = wrapper && this.supervisor(wrapper.supervisor, [...path, 'supervisor']);
      return nested && { supervisor: nested, ...clean({ restart: wrapper.restart }) };
    }
    if ((value as { type?: unknown }).type === 'dynamic_supervisor') {
      const spec = this.check(dynamicSupervisorSchema, value, path);
      if (!spec) return undefined;
      this.claim(spec.name, path);
      return clean({ ...this.supervisorOptions(spec), type: 'dynamic_supervisor' as const, maxChildren: spec.max_children });
    }
    const spec = this.check(processChildSchema, value, path);
    if (!spec) return undefined;
    this.claim(spec.name, path);
    return this.processChild(spec, path);
  }

  private processChild(spec: ProcessChildYaml, path: Path): ChildSpec {
    const child = clean({
      name: spec.name,
      type: spec.type,
      restart: spec.restart,
      args: spec.args,
      maxMailbox: spec.mailbox?.max,
      shutdownMs: spec.shutdown_ms,
      handlerTimeoutMs: spec.handler_timeout_ms,
      stateStore: toStateStore(spec.state_store),
      checkpoint: toCheckpoint(spec.checkpoint),
      durableReplies: spec.durable_replies,
      deleteStateOnStop: spec.delete_state_on_stop,
    });
    // The type is resolved against the app's @GenServer providers only at boot: keep where it was written.
    const typePath = [...path, 'type'];
    recordTypeLocation(child, { source: this.label, path: formatPath(typePath), ...this.locate(typePath) });
    return child as ChildSpec;
  }

  private supervisorOptions(spec: SupervisorYaml | DynamicSupervisorYaml) {
    return {
      name: spec.name,
      restart: spec.restart,
      maxRestarts: spec.max_restarts,
      withinMs: spec.within_ms,
      heartbeatMs: spec.heartbeat_ms,
      stateStore: toStateStore(spec.state_store),
      backoff: spec.backoff && clean({ type: spec.backoff.type, baseMs: spec.backoff.base_ms, maxMs: spec.backoff.max_ms, jitter: spec.backoff.jitter }),
    };
  }

  /** Names of processes and supervisors share one namespace. */
  private claim(name: string, path: Path): void {
    const first = this.names.get(name);
    if (first === undefined) this.names.set(name, formatPath([...path, 'name']));
    else this.problem([...path, 'name'], `the name "${name}" is already used at ${first}`);
  }

  private check<T extends z.ZodType>(schema: T, value: unknown, path: Path): z.infer<T> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const at = [...path, ...(issue.path as Path)];
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.problem([...at, key], `unknown key "${key}"`, true);
      } else {
        this.problem(at, issue.message);
      }
    }
    return undefined;
  }

  private problem(path: Path, message: string, atKey = false): void {
    const where = this.locate(path, atKey);
    this.problems.push({ path: formatPath(path), ...where, message });
  }
}

/** Line and column of the node at `path` (of its key, with `atKey`), or of its nearest ancestor that exists. */
function locate(doc: Document, path: Path, at: (offset: number) => { line: number; column: number }, atKey = false) {
  if (atKey) {
    const parent = doc.getIn(path.slice(0, -1), true);
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]) : undefined;
    const offset = (pair?.key as Node | undefined)?.range?.[0];
    if (offset !== undefined) return at(offset);
  }
  for (let depth = path.length; depth >= 0; depth--) {
    const node = (depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true)) as Node | null | undefined;
    const offset = node?.range?.[0];
    if (offset !== undefined) return at(offset);
  }
  return undefined;
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === 'number') return `${text}[${part}]`;
    return text ? `${text}.${part}` : part;
  }, '') || '(root)';
}

/** Drops keys whose value is undefined, so defaults further down apply. */
function clean<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toStateStore(spec: StateStoreYaml | undefined): StateStoreSpec | undefined {
  if (!spec) return undefined;
  if (spec.type === 'redis') return clean({ type: 'redis' as const, url: spec.url, keyPrefix: spec.key_prefix });
  return spec;
}

function toCheckpoint(policy: ProcessChildYaml['checkpoint']): CheckpointPolicy | undefined {
  if (policy === undefined || typeof policy === 'string') return policy;
  return 'every_n' in policy ? { everyN: policy.every_n } : { intervalMs: policy.interval_ms };
}
