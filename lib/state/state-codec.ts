import { CorruptStateError } from '../errors/corrupt-state.error.js';
import type { StateRecord } from '../interfaces/state-store.interface.js';

// JSON, readable in any store and by any language, with Map, Set, Date and bigint kept by tags.
const TAG = '$genserver';

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  if (original instanceof Map) return { [TAG]: 'Map', entries: [...original.entries()] };
  if (original instanceof Set) return { [TAG]: 'Set', values: [...original.values()] };
  if (original instanceof Date) return { [TAG]: 'Date', iso: original.toISOString() };
  if (typeof original === 'bigint') return { [TAG]: 'BigInt', text: original.toString() };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || !(TAG in value)) return value;
  const tagged = value as Record<string, unknown>;
  switch (tagged[TAG]) {
    case 'Map':
      return new Map(tagged.entries as [unknown, unknown][]);
    case 'Set':
      return new Set(tagged.values as unknown[]);
    case 'Date':
      return new Date(tagged.iso as string);
    case 'BigInt':
      return BigInt(tagged.text as string);
    default:
      return value;
  }
}

/** The JSON form of a state alone (Maps, Sets, Dates and bigints kept). */
export function encodeState(state: unknown): string {
  return JSON.stringify(state, replacer) ?? 'null';
}

export function decodeState(text: string): unknown {
  return JSON.parse(text, reviver);
}

export function encodeRecord(record: StateRecord): string {
  const fields = { v: record.version, seq: record.seq, at: record.savedAt, ...(record.epoch === undefined ? {} : { epoch: record.epoch }), state: record.state };
  return JSON.stringify(fields, replacer);
}

/** Reads a stored record; anything unreadable is a `CorruptStateError`. */
export function decodeRecord(name: string, text: string): StateRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, reviver);
  } catch {
    // Not the parser's message: it may quote the record, and the record may hold secrets.
    throw new CorruptStateError(name, 'not valid JSON');
  }
  const record = parsed as { v?: unknown; seq?: unknown; at?: unknown; epoch?: unknown; state?: unknown } | null;
  if (
    record === null || typeof record !== 'object' ||
    !Number.isInteger(record.v) || !Number.isInteger(record.seq) || typeof record.at !== 'number'
  ) {
    throw new CorruptStateError(name, 'not a state record (expected v, seq and at)');
  }
  const epoch = Number.isInteger(record.epoch) ? { epoch: record.epoch as number } : {};
  return { version: record.v as number, seq: record.seq as number, savedAt: record.at, ...epoch, state: record.state };
}

/**
 * Whether a record written under `epoch` may replace one stored under `storedEpoch`: a record of an
 * older epoch never replaces a newer one; records without epochs (no cluster) are not compared.
 */
export function staleEpoch(epoch: number | undefined, storedEpoch: number | undefined): boolean {
  return epoch !== undefined && storedEpoch !== undefined && epoch < storedEpoch;
}
