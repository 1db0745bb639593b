import { GenServerError } from './genserver.error.js';

/**
 * Thrown when a typed client (`@InjectGenServer`, `runtime.client`) cannot be bound to its class or
 * cannot send a message the way its type says: a method name that does not map to exactly one
 * message type, a class without a process name, a name the topology gives another type, or a
 * `call` to a method that only handles casts (and the reverse). At bootstrap it fails the boot;
 * at call time it rejects the call, before anything is sent.
 */
export class TypedClientError extends GenServerError {
  constructor(
    /** The class the client is bound to (its name), when there is one. */
    readonly className: string | undefined,
    /** The method concerned, when the problem is one method. */
    readonly method: string | undefined,
    message: string,
  ) {
    super(message);
  }
}
