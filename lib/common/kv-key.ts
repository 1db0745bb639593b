import { describeCause } from '../errors/describe-value.js';

// Process names as NATS KV keys, shared by the lease table and the NATS state store.

/**
 * The KV key of a process name. Keys allow only `[-/_=.a-zA-Z0-9]`, and names are any string
 * (`session:ann`): every other character, and `=`, `.` and `/`, is written as `=` and the hex of
 * its UTF-8 bytes, so distinct names never share a key.
 */
export function kvKey(name: string): string {
  return name.replace(/[^-_a-zA-Z0-9]/gu, (char) => [...Buffer.from(char, 'utf8')].map((byte) => `=${byte.toString(16).padStart(2, '0')}`).join(''));
}

/** The process name of a KV key (the inverse of `kvKey`: the other characters are URI-safe). */
export function nameOfKvKey(key: string): string {
  return decodeURIComponent(key.replace(/=([0-9a-f]{2})/g, '%$1'));
}

/** A compare-and-set lost: the key holds another revision (JetStream's "wrong last sequence", 10071). */
export function isCasConflict(error: unknown): boolean {
  const code = (error as { api_error?: { err_code?: number } } | null)?.api_error?.err_code;
  return code === 10071 || /wrong last sequence/i.test(describeCause(error));
}
