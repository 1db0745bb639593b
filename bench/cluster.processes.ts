import { Module, type DynamicModule } from '@nestjs/common';
import { GenServer, GenServerModule, GenServerProcess, HandleCall, HandleCast } from 'nestjs-genserver';
import { BenchCounter, benchOptions } from './bench.processes.js';

/** The name node "a" serves in the cluster figures. */
export const ECHO_NAME = 'bench-echo';

/** `{"type":"echo","data":"xx…"}`: 100 bytes of JSON, the payload (the wire carries it as V8 bytes). */
export const ECHO = { type: 'echo', data: 'x'.repeat(75) };
/** The same size for casts and raw publishes. */
export const TICK = { type: 'tick', data: 'x'.repeat(75) };
export const COUNT = { type: 'count' };

/** The process node A owns for the cluster figures: echoes calls, counts casts. */
@GenServer({ type: 'bench-echo' })
export class BenchEcho extends GenServerProcess<{ ticks: number }> {
  override init() {
    this.state = { ticks: 0 };
  }
  @HandleCall('echo') echo(msg: typeof ECHO) {
    return msg;
  }
  @HandleCast('tick') tick() {
    this.state.ticks++;
  }
  @HandleCall('count') count() {
    return this.state.ticks;
  }
}

/** The bench app of `BenchModule` (same options, same counter) as a node of a cluster. */
@Module({})
export class ClusterBenchModule {
  static forNode(servers: string, node: string, prefix: string): DynamicModule {
    return {
      module: ClusterBenchModule,
      imports: [GenServerModule.forRoot({ ...benchOptions, cluster: { transport: 'nats', servers, node, prefix } })],
      providers: [BenchCounter, BenchEcho],
    };
  }
}
