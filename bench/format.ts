/** How figures are written in BENCHMARKS.md. */
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** Ours as a percentage of the baseline. */
export const pct = (ours: number, base: number) => `${fmt((ours / base) * 100)}%`;
export const met = (ok: boolean) => (ok ? 'met' : '**missed**');
/** A difference with its sign (a true minus sign). */
export const signed = (n: number) => `${n < 0 ? '−' : '+'}${fmt(Math.abs(n), 1)}`;
