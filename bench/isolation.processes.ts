import { Module } from '@nestjs/common';
import { GenServer, GenServerModule, GenServerProcess, HandleCall } from 'nestjs-genserver';
import { BenchCounter } from './bench.processes.js';

// Processes of the isolation benchmark. This file is compiled to out/bench/, an ES module a worker
// can import: the isolated process's worker builds its instance from here.

/** The counter of the throughput figures (the same handlers), on a worker of its own. */
@GenServer({ type: 'iso_counter', isolation: 'worker' })
export class IsoCounter extends BenchCounter {
  @HandleCall('spin') spin(msg: { type: 'spin'; ms: number }) {
    const end = Date.now() + msg.ms;
    while (Date.now() < end);
    return 'spun';
  }
}

/** The same spin on the app thread, for the stall figure. */
@GenServer({ type: 'local_spinner' })
export class LocalSpinner extends IsoCounter {}

/** The process whose calls are timed while another one spins. */
@GenServer('bystander')
export class Bystander extends GenServerProcess<null> {
  @HandleCall('ping') ping() {
    return 'pong';
  }
}

@Module({
  imports: [
    GenServerModule.forRoot({
      onRootFailure: 'keep',
      supervision: { name: 'root', strategy: 'one_for_one', maxRestarts: 1000, withinMs: 1000, children: [{ name: 'pool', type: 'dynamic_supervisor', warm: 2 }] },
    }),
  ],
  providers: [IsoCounter, LocalSpinner, Bystander],
})
export class IsolationBenchModule {}
