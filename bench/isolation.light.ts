import { GenServer, GenServerProcess, HandleCall } from 'nestjs-genserver/process';

// An isolated process whose file imports only `nestjs-genserver/process`: its worker loads neither
// Nest's core nor the runtime, which is most of a cold start (see figure m′).

@GenServer({ type: 'light_counter', isolation: 'worker' })
export class LightCounter extends GenServerProcess<number> {
  override init() {
    this.state = 0;
  }
  @HandleCall('inc') inc() {
    return ++this.state;
  }
}
