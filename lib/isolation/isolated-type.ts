import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GENSERVER_FILE_METADATA, GENSERVER_METADATA } from '../genserver.constants.js';
import { handlersOf } from '../discovery/handlers-of.js';
import { GenServerError } from '../errors/genserver.error.js';
import type { GenServerOptions, WorkerOptions } from '../interfaces/gen-server-options.interface.js';
import type { MessageKind } from '../interfaces/genserver.types.js';
import type { From } from '../process/from.js';
import type { HandlerMethod, ProcessType } from '../process/process-type.js';
import type { GenServerType } from '../discovery/genserver-type.js';
import { IsolatedProcess } from './isolated-process.js';
import type { WarmPool } from './warm-pool.js';

/** Heap limits of a worker when the options leave them out (MB). */
export const DEFAULT_MAX_OLD_GENERATION_MB = 256;
export const DEFAULT_MAX_YOUNG_GENERATION_MB = 32;
export const DEFAULT_WORKER_LIMITS = { maxOldGenerationMb: DEFAULT_MAX_OLD_GENERATION_MB, maxYoungGenerationMb: DEFAULT_MAX_YOUNG_GENERATION_MB } as const;

/** How one isolated process's worker is set up. */
export interface IsolationConfig {
  readonly worker: WorkerOptions | undefined;
  readonly workerFile: string | undefined;
  /** It has a store: its state must come back after every callback, for the checkpoint. */
  readonly persistent: boolean;
  /** Whether a cast's outcome is needed when it is handled (a watchdog, spans or metrics); see `IsolatedProcess.forward`. */
  readonly measured: () => boolean;
}

/**
 * The type of an isolated process, as its cell sees it: the same name, options and message types
 * as the class, but each handler runs on the worker (a forwarder in its place here) and each
 * incarnation is a fresh worker. Throws when the class's file is not known.
 */
export function isolatedType(type: GenServerType, name: string, config: IsolationConfig, pool?: WarmPool): ProcessType {
  const file = workerFileOf(type, config.workerFile);
  const forwarders = new Map<string, HandlerMethod>();
  const forwarder = (kind: MessageKind): HandlerMethod => {
    let found = forwarders.get(kind);
    if (found === undefined) {
      found = function (this: object, payload: unknown, from?: unknown) {
        return (this as IsolatedProcess).forward(kind, payload, from as From | undefined);
      };
      forwarders.set(kind, found);
    }
    return found;
  };
  return {
    typeName: type.typeName,
    options: type.options,
    handlers: { find: (kind, messageType) => (type.handlers.find(kind, messageType) === undefined ? undefined : forwarder(kind)) },
    abortable: true,
    create: (abandoned) =>
      IsolatedProcess.boot({
        entry: workerEntry(),
        boot: { file, className: type.cls.name, module: config.worker?.module, name },
        maxOldGenerationMb: config.worker?.maxOldGenerationMb ?? DEFAULT_MAX_OLD_GENERATION_MB,
        maxYoungGenerationMb: config.worker?.maxYoungGenerationMb ?? DEFAULT_MAX_YOUNG_GENERATION_MB,
        everyState: config.persistent,
        pipelining: config.persistent ? never : () => !config.measured(),
      }, pool, abandoned),
  };
}

/**
 * The type of an isolated class the app does not provide (`runtime.start(Class)`, a child spec
 * naming the class): its instances are built in their worker only, so the app needs none of its
 * constructor dependencies, and its type is read from its decorators. `undefined` for any other class.
 */
export function unprovidedIsolatedType(cls: Function): GenServerType | undefined {
  const options: GenServerOptions | undefined = Reflect.getMetadata(GENSERVER_METADATA, cls);
  if (options?.isolation !== 'worker') return undefined;
  return {
    cls: cls as GenServerType['cls'],
    typeName: options.type ?? cls.name,
    options,
    handlers: handlersOf(cls),
    create: () => {
      throw new GenServerError(`${cls.name} runs isolated: its instances are built in their worker`);
    },
  };
}

const never = () => false;

function workerFileOf(type: GenServerType, given: string | undefined): string {
  if (given !== undefined) return given.startsWith('file:') ? given : pathToFileURL(given).href;
  const declared: unknown = Reflect.getMetadata(GENSERVER_FILE_METADATA, type.cls);
  if (typeof declared === 'string') return declared;
  throw new GenServerError(`the file that declares ${type.cls.name} is not known (a bundled app?): set workerFile for isolation 'worker'`);
}

/**
 * The worker program: `worker-main.js` beside this file in the built package. Run from the
 * TypeScript sources (this repo's tests), it is the built one in `dist/`.
 */
export function workerEntry(): URL {
  if (entry === undefined) {
    const beside = new URL('./worker-main.js', import.meta.url);
    entry = existsSync(fileURLToPath(beside)) ? beside : new URL('../../dist/isolation/worker-main.js', import.meta.url);
  }
  return entry;
}

/** Looked for once: a file-system check per worker start would be I/O on every (re)start. */
let entry: URL | undefined;
