// Suggestions for mistyped topology keys: `maxRestarts` → `max_restarts`, `stratgey` → `strategy`.

const LONGEST_KEY = 64;

/**
 * The known key a mistyped one most likely meant, or `undefined` when none is close: the snake_case
 * spelling of a camelCase key, the key with `_ms` added, else the nearest by edit distance
 * (adjacent swaps count as one edit), at most one edit per three letters.
 */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  if (key.length > LONGEST_KEY || known.length === 0) return undefined;
  const snake = toSnakeCase(key);
  if (known.includes(snake)) return snake;
  if (known.includes(`${snake}_ms`)) return `${snake}_ms`;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(snake, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(snake.length / 3)) ? best : undefined;
}

/** `maxRestarts` → `max_restarts`, `heartbeatMS` → `heartbeat_ms`, `max-mailbox` → `max_mailbox`. */
export function toSnakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, before[j - 2]! + 1);
      current.push(distance);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
