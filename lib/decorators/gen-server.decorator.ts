import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { GENSERVER_METADATA } from '../genserver.constants.js';
import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';

/**
 * Marks a class (which should extend `GenServerProcess`) as a GenServer and makes it injectable.
 * `@GenServer('rate_limiter')` names the process, which then starts when the app boots;
 * `@GenServer()` or an options object without `name` declares a type started with
 * `GenServerRuntime.start`. List the class in a module's `providers` either way, so Nest can build
 * each incarnation with that module's dependencies.
 */
export function GenServer(nameOrOptions?: string | GenServerOptions): ClassDecorator {
  const options: GenServerOptions =
    typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
  return applyDecorators(Injectable(), SetMetadata(GENSERVER_METADATA, options));
}
