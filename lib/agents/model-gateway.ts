import type { GenServerRuntime } from '../runtime/genserver.runtime.js';
import { isInstance } from '../common/is-instance.js';
import { AlreadyStartedError } from '../errors/already-started.error.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import { ModelGatewayProcess, type GatewayArgs } from './model-gateway.process.js';

/** Default cap of a `Retry-After` wait (ms). */
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/** 429s in a row one model step takes before it fails (the provider is not coming back). */
export const MAX_THROTTLED_ATTEMPTS = 10;

/** How a model step goes through its provider's gateway process. */
export interface ModelGateway {
  /** Resolves when a request may leave; rejects when `signal` aborts first. */
  admit(signal: AbortSignal): Promise<void>;
  /** Tells the gateway of a 429 with this `Retry-After`. */
  throttled(retryAfter: string | undefined): Promise<void>;
}

/**
 * The gateway of one provider as agents use it: its process (`model-gateway:<provider>`) is started
 * on first use, on this node or, in a cluster, wherever it already runs (`AlreadyStartedError` means
 * it does: the calls reach it there).
 */
export function modelGateway(runtime: () => GenServerRuntime, args: GatewayArgs): ModelGateway {
  const name = `model-gateway:${args.provider}`;
  let started: Promise<void> | null = null;
  const ready = () =>
    (started ??= runtime()
      .start(ModelGatewayProcess, { name, args })
      .then(
        () => undefined,
        (error: unknown) => {
          if (isInstance(error, AlreadyStartedError)) return;
          started = null;
          throw error;
        },
      ));
  /** A call to the gateway; one stopped meanwhile (an operator's `stop`) is started again, once. */
  const ask = async (payload: object, timeout: number): Promise<unknown> => {
    await ready();
    try {
      return await runtime().call(name, payload, { timeout });
    } catch (error) {
      if (!isInstance(error, NoSuchProcessError)) throw error;
      started = null;
      await ready();
      return runtime().call(name, payload, { timeout });
    }
  };
  return {
    async admit(signal) {
      const admitted = ask({ type: 'admit' }, Infinity);
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        const aborted = () => reject(signal.reason);
        signal.addEventListener('abort', aborted, { once: true });
        admitted.then(
          () => {
            signal.removeEventListener('abort', aborted);
            resolve();
          },
          (error: unknown) => {
            signal.removeEventListener('abort', aborted);
            reject(error);
          },
        );
      });
    },
    async throttled(retryAfter) {
      await ask({ type: 'throttled', retryAfter }, 10_000);
    },
  };
}
