import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { messages } from '../errors/messages.js';
import { TopologyError, type TopologyProblem } from '../errors/topology.error.js';
import type { GenServerModuleOptions } from '../interfaces/genserver-module-options.interface.js';
import { interpolateEnv } from './env-interpolation.js';
import type { TopologyPath } from './topology-path.js';
import { snapshotTopology } from './topology-snapshot.js';
import { inLineOrder, type TopologyRead } from './topology-source.js';
import { TopologyReader, type Locate } from './topology.reader.js';

type At = (offset: number) => { line: number; column: number };

/**
 * Reads a topology — a YAML file path, or an object of the same shape as its genserver section —
 * into module options. The genserver section is the document's `genserver` key, or the whole
 * document when it has none (Civitas writes `supervision:` at the top). `${VAR}` and
 * `${VAR:-default}` in values are replaced from `env`. Every problem is collected and thrown at
 * once as `TopologyError`.
 */
export function loadTopology(source: string | Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): GenServerModuleOptions {
  return optionsOrThrow(readTopology(source, env));
}

/** Parses YAML text (named `label` in errors) into module options. */
export function parseTopology(text: string, label: string, env: NodeJS.ProcessEnv = process.env): GenServerModuleOptions {
  return optionsOrThrow(readTopologyText(text, label, env));
}

/** Like `loadTopology`, but returns the problems (in line order) instead of throwing them. */
export function readTopology(source: string | Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): TopologyRead {
  if (typeof source !== 'string') return readData('(object)', source, [], () => undefined, []);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (error) {
    return unreadable(source, [{ path: '(file)', message: messages.topologyFileUnreadable(resolve(source), process.cwd(), error) }]);
  }
  return readTopologyText(text, source, env);
}

/** Like `parseTopology`, but returns the problems (in line order) instead of throwing them. */
export function readTopologyText(text: string, label: string, env: NodeJS.ProcessEnv = process.env): TopologyRead {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at: At = (offset) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntax = distinct(doc.errors.map((error) => ({ path: '(yaml)', ...at(error.pos[0]), message: error.message.split('\n')[0]! })));
  // A duplicate key leaves a readable document (the last value wins): read on, and report it with the rest.
  if (doc.errors.some((error) => error.code !== 'DUPLICATE_KEY')) return unreadable(label, syntax);
  const variables = interpolateEnv(doc, env);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // e.g. an alias with no anchor, or an alias bomb
    return unreadable(label, [...syntax, { path: '(yaml)', ...at(0), message: (error as Error).message }]);
  }
  const hasSection = data !== null && typeof data === 'object' && 'genserver' in data;
  const section = hasSection ? (data as { genserver: unknown }).genserver : (data ?? {});
  const locate: Locate = (path, atKey) => locateIn(doc, path, at, atKey);
  const read = readData(label, section, hasSection ? ['genserver'] : [], locate, variables);
  return { ...read, problems: inLineOrder([...syntax, ...read.problems]) };
}

function readData(label: string, section: unknown, base: TopologyPath, locate: Locate, found: readonly { path: TopologyPath; message: string }[]): TopologyRead {
  const reader = new TopologyReader(label, locate);
  const snapshot = snapshotTopology(section, base);
  for (const { path, message } of [...found, ...snapshot.problems]) reader.found(path, message);
  const read = reader.read(snapshot.value, base);
  return { ...read, problems: inLineOrder(read.problems) };
}

function optionsOrThrow(read: TopologyRead): GenServerModuleOptions {
  if (read.problems.length > 0) throw new TopologyError(read.source, read.problems);
  return read.options;
}

function unreadable(source: string, problems: TopologyProblem[]): TopologyRead {
  return { source, options: {}, problems, types: [] };
}

/** One problem per text: a parser stuck in deep nesting repeats itself. */
function distinct(problems: TopologyProblem[]): TopologyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message));
}

/** Line and column of the node at `path` (of its key, with `atKey`), or of its nearest ancestor that exists. */
function locateIn(doc: Document, path: TopologyPath, at: At, atKey = false) {
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
