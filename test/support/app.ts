import 'reflect-metadata';
import { Module, type INestApplication, type LoggerService, type Provider, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { filter, firstValueFrom, take, toArray, type Observable } from 'rxjs';
import { GenServerModule, GenServerRuntime, type GenServerEvent, type GenServerModuleOptions } from 'nestjs-genserver';

/** A real Nest logger that keeps what it is told, so tests can read warnings and errors. */
export class RecordingLogger implements LoggerService {
  readonly lines: { level: string; message: string; context?: string }[] = [];
  log(message: string, context?: string) { this.lines.push({ level: 'log', message, context }); }
  warn(message: string, context?: string) { this.lines.push({ level: 'warn', message, context }); }
  error(message: string, _trace?: string, context?: string) { this.lines.push({ level: 'error', message, context }); }
  debug() {}
  verbose() {}
  at(level: string) { return this.lines.filter((l) => l.level === level); }
}

export interface TestApp {
  app: INestApplication;
  runtime: GenServerRuntime;
  logger: RecordingLogger;
  events: GenServerEvent[];
  close(): Promise<void>;
}

/**
 * Boots a Nest app with the module and the given providers; records every runtime event. The root
 * supervisor's failure keeps the app (the default, SIGTERM, would end the test runner).
 */
export async function bootApp(
  providers: Provider[],
  options: GenServerModuleOptions = {},
  extra: { imports?: Type[]; controllers?: Type[] } = {},
): Promise<TestApp> {
  @Module({ imports: [GenServerModule.forRoot({ onRootFailure: 'keep', ...options }), ...(extra.imports ?? [])], providers, controllers: extra.controllers ?? [] })
  class TestAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  const logger = new RecordingLogger();
  app.useLogger(logger);
  const runtime = app.get(GenServerRuntime);
  const events: GenServerEvent[] = [];
  runtime.events$.subscribe((e) => events.push(e));
  await app.init();
  let closed = false;
  return {
    app,
    runtime,
    logger,
    events,
    close: async () => {
      if (!closed) await app.close();
      closed = true;
    },
  };
}

/** Resolves with the next event matching the predicate. */
export function nextEvent<E extends GenServerEvent>(events$: Observable<GenServerEvent>, match: (e: GenServerEvent) => e is E): Promise<E>;
export function nextEvent(events$: Observable<GenServerEvent>, match: (e: GenServerEvent) => boolean): Promise<GenServerEvent>;
export function nextEvent(events$: Observable<GenServerEvent>, match: (e: GenServerEvent) => boolean): Promise<GenServerEvent> {
  return firstValueFrom(events$.pipe(filter(match)));
}

/** Resolves with the next `count` events matching the predicate. */
export function nextEvents(events$: Observable<GenServerEvent>, count: number, match: (e: GenServerEvent) => boolean): Promise<GenServerEvent[]> {
  return firstValueFrom(events$.pipe(filter(match), take(count), toArray()));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function outside, to hold a handler until the test lets it go. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * Waits (at most ~500 ms) until `count()` is down to `limit`, and returns it: a leak stays, while
 * a timer of a closing app (Nest's, a shutdown wait) ends within a few turns.
 */
export async function settledTo(count: () => number, limit: number): Promise<number> {
  for (let turn = 0; turn < 50 && count() > limit; turn++) await new Promise((resolve) => setTimeout(resolve, 10));
  return count();
}
