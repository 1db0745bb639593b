import { Controller, Get, Module } from '@nestjs/common';
import { GenServer, GenServerModule, GenServerProcess, GenServerRuntime, HandleCall, HandleCast, type GenServerModuleOptions } from 'nestjs-genserver';

/** The process every throughput figure drives: a counter, as cheap a handler as there is. */
@GenServer({ type: 'counter' })
export class BenchCounter extends GenServerProcess<{ n: number }> {
  override init() {
    this.state = { n: 0 };
  }
  @HandleCast('inc') inc() {
    this.state.n++;
  }
  @HandleCall('get') get() {
    return this.state.n;
  }
  @HandleCast('crash') crash() {
    throw new Error('crash on purpose (restart latency)');
  }
}

/** Baseline's handler, the same work as BenchCounter's. */
export function counterHandler(state: { n: number }, msg: { type: string }): unknown {
  if (msg.type === 'inc') state.n++;
  return state.n;
}

@Controller()
export class BenchController {
  constructor(private readonly runtime: GenServerRuntime) {}
  @Get('plain') plain() {
    return { n: 1 };
  }
  @Get('call') async call() {
    return { n: await this.runtime.call<number>('http_counter', { type: 'get' }) };
  }
}

// The root may restart without limit here: the restart-latency case crashes a process thousands of times.
export const benchOptions: GenServerModuleOptions = { callTimeout: 5000, maxRestarts: Number.MAX_SAFE_INTEGER, withinMs: 1000 };

@Module({
  imports: [GenServerModule.forRoot(benchOptions)],
  providers: [BenchCounter],
  controllers: [BenchController],
})
export class BenchModule {}
