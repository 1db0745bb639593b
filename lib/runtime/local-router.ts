import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import type { GenServerError } from '../errors/genserver.error.js';
import type { From } from '../process/from.js';
import type { Envelope } from '../process/envelope.js';
import type { PendingCalls } from './pending-calls.js';
import type { ProcessRegistry } from './process-registry.js';
import type { Router } from './router.js';

/** Routes within this Node.js process: by reference, no copy, no serialization. */
export class LocalRouter implements Router {
  constructor(
    private readonly registry: ProcessRegistry,
    private readonly calls: PendingCalls,
  ) {}

  route(envelope: Envelope): GenServerError | undefined {
    const cell = this.registry.get(envelope.to);
    return cell === undefined ? new NoSuchProcessError(envelope.to) : cell.accept(envelope);
  }

  settle(from: From, ok: boolean, value: unknown): void {
    // A call that is no longer waiting (timed out) drops its late reply here.
    if (ok) this.calls.resolve(from, value);
    else this.calls.reject(from, value);
  }
}
