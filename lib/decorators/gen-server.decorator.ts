// The decorator alone, not @nestjs/common's index: a class file that imports only what a process
// needs (`nestjs-genserver/process`) then loads in a few ms on an isolated process's worker.
import { Injectable } from '@nestjs/common/decorators/core/injectable.decorator.js';
import { GENSERVER_FILE_METADATA, GENSERVER_METADATA } from '../genserver.constants.js';
import { declaringFile } from '../isolation/declaring-file.js';
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
  // Where the class is declared: an isolated process's worker imports it from there.
  const file = declaringFile(GenServer);
  return (target) => {
    Injectable()(target);
    Reflect.defineMetadata(GENSERVER_METADATA, options, target);
    Reflect.defineMetadata(GENSERVER_FILE_METADATA, file, target);
  };
}
