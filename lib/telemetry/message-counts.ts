import type { Attributes, ObservableResult } from '@opentelemetry/api';

/** How a handled message ended, as spans and metrics report it. */
export type Outcome = 'ok' | 'error' | 'timeout' | 'crashed';

type Kind = 'call' | 'cast' | 'info';

const KINDS: readonly Kind[] = ['call', 'cast', 'info'];
const OUTCOMES: readonly Outcome[] = ['ok', 'error', 'timeout', 'crashed'];
const KIND_INDEX: Readonly<Record<Kind, number>> = { call: 0, cast: 1, info: 2 };
const OUTCOME_INDEX: Readonly<Record<Outcome, number>> = { ok: 0, error: 1, timeout: 2, crashed: 3 };

/** One process type's figures: handled messages per (kind, outcome), and the attributes its durations use. */
export class TypeCounts {
  private readonly counts = new Float64Array(KINDS.length * OUTCOMES.length);
  /** Per kind, built once: the metrics SDK gets the same object for every record. */
  readonly durationAttributes: readonly Attributes[];

  constructor(readonly processType: string) {
    this.durationAttributes = KINDS.map((kind) => ({ 'genserver.message.kind': kind, 'genserver.process.type': processType }));
  }

  add(kind: Kind, outcome: Outcome): void {
    this.counts[KIND_INDEX[kind] * OUTCOMES.length + OUTCOME_INDEX[outcome]]!++;
  }

  kindIndex(kind: Kind): number {
    return KIND_INDEX[kind];
  }

  /** Reports the running totals to an observable counter (cumulative, as it expects). */
  observe(result: ObservableResult): void {
    for (let k = 0; k < KINDS.length; k++) {
      for (let o = 0; o < OUTCOMES.length; o++) {
        const count = this.counts[k * OUTCOMES.length + o]!;
        if (count === 0) continue;
        result.observe(count, { 'genserver.message.kind': KINDS[k], 'genserver.outcome': OUTCOMES[o], 'genserver.process.type': this.processType });
      }
    }
  }
}

/**
 * Handled messages counted in plain numbers on the hot path, reported when the metric reader
 * collects. A synchronous counter would hash its attribute set on every record (about 2 µs per
 * message with the SDK); this costs an array increment.
 */
export class MessageCounts {
  private readonly byType = new Map<string, TypeCounts>();

  of(processType: string): TypeCounts {
    let counts = this.byType.get(processType);
    if (counts === undefined) {
      counts = new TypeCounts(processType);
      this.byType.set(processType, counts);
    }
    return counts;
  }

  observe(result: ObservableResult): void {
    for (const counts of this.byType.values()) counts.observe(result);
  }
}
