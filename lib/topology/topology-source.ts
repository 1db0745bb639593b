import { TopologyError, type TopologyProblem } from '../errors/topology.error.js';
import { messages } from '../errors/messages.js';
import { UnknownTypeError } from '../errors/unknown-type.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';

// What a topology leaves for the boot: only then are the app's @GenServer types known.

/** Where a value of a topology was written, for errors found only at boot (unknown types). */
export interface TopologyLocation {
  readonly source: string;
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

/** A topology as read: its options when it has no problems, and every `type` it names, with where. */
export interface TopologyRead {
  readonly source: string;
  readonly options: GenServerModuleOptions;
  readonly problems: readonly TopologyProblem[];
  readonly types: readonly { readonly type: string; readonly location: TopologyLocation }[];
}

// Keyed by the child spec object itself: the options pass through @nestjs/config by reference.
const typeLocations = new WeakMap<object, TopologyLocation>();

export function recordTypeLocation(child: object, location: TopologyLocation): void {
  typeLocations.set(child, location);
}

/** Where the `type` of a child spec was written, if it came from a topology. */
export function typeLocationOf(child: object): TopologyLocation | undefined {
  return typeLocations.get(child);
}

// A symbol key, not a WeakMap: `{ ...config.get('genserver') }` copies it along.
const UNBOOTABLE = Symbol('genserver:topology-problems');

/**
 * The module options a topology gives: its own when it has no problems; else options that hold
 * nothing but its problems, so the boot reports them together with the file's unknown types.
 */
export function optionsOf(read: TopologyRead): GenServerModuleOptions {
  if (read.problems.length === 0) return read.options;
  return { [UNBOOTABLE]: read } as GenServerModuleOptions;
}

/**
 * At boot, for options from a topology with problems: throws one `TopologyError` with them and
 * with every type of the file that `resolveType` does not know, in line order.
 */
export function checkTopologyAtBoot(options: GenServerModuleOptions, resolveType: (type: string) => unknown): void {
  const read = (options as { [UNBOOTABLE]?: TopologyRead })[UNBOOTABLE];
  if (read === undefined) return;
  const typeProblems: TopologyProblem[] = [];
  for (const { type, location } of read.types) {
    try {
      resolveType(type);
    } catch (error) {
      if (!(error instanceof UnknownTypeError)) throw error;
      const { path, line, column } = location;
      typeProblems.push({ path, line, column, message: messages.topologyUnknownType(error.message) });
    }
  }
  throw new TopologyError(read.source, inLineOrder([...read.problems, ...typeProblems]));
}

/** Problems sorted by line and column; those without a line keep their order, after the others. */
export function inLineOrder(problems: readonly TopologyProblem[]): TopologyProblem[] {
  return [...problems].sort((a, b) => {
    if (a.line === undefined || b.line === undefined) return Number(a.line === undefined) - Number(b.line === undefined);
    return a.line - b.line || (a.column ?? 0) - (b.column ?? 0);
  });
}
