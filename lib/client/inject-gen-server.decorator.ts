import { Inject, type Type } from '@nestjs/common';
import { recordClientBinding } from './client-token.js';

/**
 * Injects a `GenServerClient<T>` (a constructor parameter or a property):
 * - `@InjectGenServer(RateLimiter)`: the process named by the class's `@GenServer('rate_limiter')`;
 * - `@InjectGenServer('billing', Billing)`: a process started at run time, typed by its class;
 * - `@InjectGenServer('billing')`: by name only, untyped unless you write the type yourself.
 *
 * With a class, the app's boot fails with `TypedClientError` when a handler method of it cannot be
 * mapped to one message type, when the class names no process, or when the topology gives the
 * name another type. Declare the parameter as `GenServerClient<RateLimiter>`.
 */
export function InjectGenServer(nameOrClass: string | Type<object>, cls?: Type<object>): PropertyDecorator & ParameterDecorator {
  return (target: object, key: string | symbol | undefined, index?: number) => {
    // A constructor parameter is decorated on the class, a property on its prototype.
    const user = typeof target === 'function' ? target : target.constructor;
    const token = recordClientBinding(nameOrClass, cls, user);
    (Inject(token) as (target: object, key: string | symbol | undefined, index?: number) => void)(target, key, index);
  };
}
