import type { z } from 'zod';
import { messages } from '../errors/messages.js';
import type { TopologyProblem } from '../errors/topology.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { missingStorePackage } from '../state/state-stores.js';
import type { ChildSpec, SupervisorSpec } from '../interfaces/supervision.interface.js';
import { didYouMean } from './did-you-mean.js';
import { keysAt } from './schema-keys.js';
import { pairingProblems } from '../cluster/cluster-options.js';
import { clean, mailboxBound, processChild, supervisorOptions, toAgents, toCluster, toStateStore } from './topology-options.js';
import { formatPath, isWithin, type TopologyPath } from './topology-path.js';
import { recordTypeLocation, type TopologyRead } from './topology-source.js';
import { dynamicSupervisorSchema, genserverSchema, processChildSchema, supervisorSchema, supervisorWrapperSchema } from './topology.schema.js';

/** Line and column of the value at a path (of its key, with `atKey`); undefined for objects. */
export type Locate = (path: TopologyPath, atKey?: boolean) => { line: number; column: number } | undefined;

type Mapping = Record<string, unknown>;

/**
 * Validates one genserver section (plain data: see `snapshotTopology`) and turns it into module
 * options. It keeps going past every problem, so one pass finds them all: a supervisor with a bad
 * key still has its children read; a child with a bad key still has its name claimed, its store
 * checked and its type noted for the boot.
 */
export class TopologyReader {
  private readonly problems: TopologyProblem[] = [];
  private readonly types: TopologyRead['types'][number][] = [];
  private readonly names = new Map<string, string>();
  private readonly covered: string[] = [];

  constructor(
    private readonly source: string,
    private readonly locate: Locate,
  ) {}

  /** A problem found before reading (an unset variable, a cycle): nothing more is reported at or under its path. */
  found(path: TopologyPath, message: string): void {
    this.problem(path, message);
    this.covered.push(formatPath(path));
  }

  read(section: unknown, base: TopologyPath): TopologyRead {
    const raw = this.mapping(section, base, 'the genserver section');
    const root = raw && this.level(genserverSchema, raw, base);
    if (isMapping(raw?.cluster)) this.pairings(raw.cluster, [...base, 'cluster']);
    const supervision = raw?.supervision === undefined ? undefined : this.supervisor(raw.supervision, [...base, 'supervision']);
    const options: GenServerModuleOptions = !root ? {} : clean({
      callTimeout: root.call_timeout_ms,
      initTimeoutMs: root.init_timeout_ms,
      maxMailbox: mailboxBound(root),
      drainBudget: root.drain_budget,
      checkPayloads: root.check_payloads,
      onRootFailure: root.on_root_failure,
      stateStore: toStateStore(root.state_store),
      cluster: toCluster(root.cluster),
      agents: toAgents(root.agents),
      supervision,
    });
    return { source: this.source, options, problems: this.problems, types: this.types };
  }

  private supervisor(value: unknown, path: TopologyPath): SupervisorSpec | undefined {
    const raw = this.mapping(value, path, 'a supervisor');
    if (!raw) return undefined;
    const spec = this.level(supervisorSchema, raw, path);
    this.claim(raw.name, path);
    const children = this.children(raw.children, [...path, 'children']);
    return spec && clean({ ...supervisorOptions(spec), strategy: spec.strategy, children });
  }

  private children(value: unknown, path: TopologyPath): ChildSpec[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.problem(path, messages.topologyNotList('children'));
      return [];
    }
    const children: ChildSpec[] = [];
    value.forEach((child, index) => {
      const read = this.child(child, [...path, index]);
      if (read) children.push(read);
    });
    return children;
  }

  private child(value: unknown, path: TopologyPath): ChildSpec | undefined {
    if (!isMapping(value)) {
      this.problem(path, messages.topologyChildNotMapping());
      return undefined;
    }
    if ('supervisor' in value) {
      const wrapper = this.level(supervisorWrapperSchema, value, path);
      const nested = this.supervisor(value.supervisor, [...path, 'supervisor']);
      return wrapper && nested && { supervisor: nested, ...clean({ restart: wrapper.restart }) };
    }
    if (value.type === 'dynamic_supervisor') {
      const spec = this.level(dynamicSupervisorSchema, value, path);
      this.claim(value.name, path);
      return spec && clean({ ...supervisorOptions(spec), type: 'dynamic_supervisor' as const, maxChildren: spec.max_children, warm: spec.warm });
    }
    const spec = this.level(processChildSchema, value, path);
    this.claim(value.name, path);
    // The type is resolved against the app's @GenServer providers only at boot: keep where it was written.
    const typePath = [...path, 'type'];
    const location = { source: this.source, path: formatPath(typePath), ...this.locate(typePath) };
    if (typeof value.type === 'string' && value.type.length > 0) this.types.push({ type: value.type, location });
    if (!spec) return undefined;
    const child = processChild(spec);
    recordTypeLocation(child, location);
    return child;
  }

  /**
   * Checks one level against its schema, plus what the schema cannot say: both mailbox spellings
   * at once, a store whose package is not installed. These run on the raw value, so they are
   * reported even when the schema finds something else wrong.
   */
  private level<T extends z.ZodType>(schema: T, raw: Mapping, path: TopologyPath): z.infer<T> | undefined {
    if (raw.max_mailbox !== undefined && raw.mailbox !== undefined) this.problem([...path, 'max_mailbox'], messages.topologyMailboxTwice(), true);
    const store = raw.state_store;
    const storeType = isMapping(store) && typeof store.type === 'string' ? store.type : undefined;
    const missing = storeType === undefined ? undefined : missingStorePackage(storeType);
    if (missing !== undefined) this.problem([...path, 'state_store', 'type'], messages.topologyStorePackage(storeType!, missing));
    const result = schema.safeParse(raw);
    if (result.success) return missing === undefined ? result.data : undefined;
    for (const issue of result.error.issues) {
      const at = [...path, ...(issue.path as TopologyPath)];
      if (issue.code === 'unrecognized_keys') {
        // A union offers the keys of all its mappings: one that belongs to another (`url` on an lmdb store) is no typo.
        const known = keysAt(schema, issue.path);
        for (const key of issue.keys) this.problem([...at, key], messages.topologyUnknownKey(key, didYouMean(key, known.filter((k) => k !== key))), true);
      } else {
        this.problem(at, issue.message);
      }
    }
    return undefined;
  }

  /** What the cluster schema cannot say: keys that need or exclude one another (`pass` needs `user`). */
  private pairings(cluster: Mapping, path: TopologyPath): void {
    for (const { option, rule } of pairingProblems(cluster)) this.problem([...path, ...option.split('.')], messages.topologyRule(rule), true);
  }

  private mapping(value: unknown, path: TopologyPath, what: string): Mapping | undefined {
    if (isMapping(value)) return value;
    this.problem(path, messages.topologyNotMapping(what));
    return undefined;
  }

  /** Names of processes and supervisors share one namespace. */
  private claim(name: unknown, path: TopologyPath): void {
    if (typeof name !== 'string' || name.length === 0) return; // the schema reports it
    const first = this.names.get(name);
    if (first === undefined) this.names.set(name, formatPath([...path, 'name']));
    else this.problem([...path, 'name'], messages.topologyNameTaken(name, first));
  }

  private problem(path: TopologyPath, message: string, atKey = false): void {
    const formatted = formatPath(path);
    if (this.covered.some((under) => isWithin(formatted, under))) return;
    this.problems.push({ path: formatted, ...this.locate(path, atKey), message });
  }
}

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
