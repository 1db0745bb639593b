import { Logger } from '@nestjs/common';

/** Default cap of a `Retry-After` wait (ms). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** A 429 without a usable `Retry-After` waits this long (ms). */
const DEFAULT_BACKOFF_MS = 1000;
/** Shortest wait after a 429, whatever `Retry-After` says: `0` must not become a tight loop. */
export const MIN_BACKOFF_MS = 100;
/** 429s in a row one model step takes before it fails (the provider is not coming back). */
export const MAX_THROTTLED_ATTEMPTS = 10;

/**
 * The door to one model provider, shared by every agent of the app: after a 429 no request to that
 * provider leaves before its `Retry-After` has passed (capped at `maxRetryAfterMs`), and the
 * request that got the 429 is retried then.
 */
export class ModelGateway {
  private blockedUntil = 0;

  constructor(
    readonly provider: string,
    private readonly maxRetryAfterMs: number,
  ) {}

  /** Waits until a request may leave (at once unless a 429 said otherwise); rejects when `signal` aborts. */
  async admit(signal: AbortSignal): Promise<void> {
    for (;;) {
      const wait = this.blockedUntil - Date.now();
      if (wait <= 0) return;
      await sleep(wait, signal);
    }
  }

  /** A 429 arrived: blocks the provider for its `Retry-After` (seconds or an HTTP date), capped. */
  throttled(retryAfter: string | undefined): number {
    const waitMs = Math.max(MIN_BACKOFF_MS, Math.min(retryAfterMs(retryAfter) ?? DEFAULT_BACKOFF_MS, this.maxRetryAfterMs));
    this.blockedUntil = Math.max(this.blockedUntil, Date.now() + waitMs);
    Logger.warn(`model provider "${this.provider}" answered 429: no request before ${waitMs} ms`, 'GenServerAgents');
    return waitMs;
  }
}

/** `Retry-After` in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', aborted);
      resolve();
    }, ms);
    const aborted = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', aborted, { once: true });
  });
}
