import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import {
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  HandleInfo,
  ProcessCrashedError,
  type GenServerModuleOptions,
} from 'nestjs-genserver';
import { GenServerTesting, GenServerTestingModule, InjectedFaultError, TestProbeError } from 'nestjs-genserver/testing';

// #11: TestProbe stands in for a process the code under test talks to; faults make a process
// crash after its Nth message or a store write fail, through the runtime's real failure paths.

/** Asks `billing` to charge, then tells `audit`; reminds `billing` every minute. */
@GenServer('checkout')
class Checkout extends GenServerProcess<{ orders: number }> {
  override init() {
    this.state = { orders: 0 };
    this.sendAfter(60_000, { type: 'remind' });
  }
  @HandleCall('order') async order(msg: { type: 'order'; amount: number }) {
    const receipt = await this.call<{ id: string }>('billing', { type: 'charge', amount: msg.amount });
    this.state.orders++;
    await this.cast('audit', { type: 'ordered', receipt: receipt.id });
    return receipt.id;
  }
  @HandleInfo('remind') remind() {
    void this.cast('billing', { type: 'remind', orders: this.state.orders }).catch(() => undefined);
    this.sendAfter(60_000, { type: 'remind' });
  }
  @HandleCall('orders') orders() {
    return this.state.orders;
  }
}

@GenServer()
class Counter extends GenServerProcess<{ n: number }> {
  override init(_args: unknown, restored?: { n: number }) {
    this.state = restored ?? { n: 0 };
  }
  @HandleCall('inc') inc() {
    return ++this.state.n;
  }
  @HandleCast('stop') stopNow() {
    this.stop('normal');
  }
}

async function boot(providers: Function[], options: GenServerModuleOptions = {}) {
  const moduleRef = await Test.createTestingModule({ imports: [GenServerTestingModule.forRoot(options)], providers: providers as never[] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { app, testing: app.get(GenServerTesting) };
}

describe('TestProbe', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('receives the calls and casts sent to its name, answers calls when told, and checks their type', async () => {
    const { app, testing } = await boot([Checkout]);
    close = () => app.close();
    const billing = await testing.probe('billing');
    const audit = await testing.probe('audit');
    const order = testing.runtime.call('checkout', { type: 'order', amount: 42 });
    const charge = await billing.expectCall<{ amount: number }>('charge');
    expect(charge.payload).toEqual({ type: 'charge', amount: 42 });
    await audit.expectNoMessage(); // nothing before billing answers
    charge.reply({ id: 'r-1' });
    expect(await order).toBe('r-1');
    expect(await audit.expectCast('ordered')).toEqual({ type: 'ordered', receipt: 'r-1' });

    const second = testing.runtime.call('checkout', { type: 'order', amount: 7 });
    await billing.expectCall('charge', { reply: (p: { amount: number }) => ({ id: `r-${p.amount}` }) });
    expect(await second).toBe('r-7');
    await audit.expectCast();
  });

  it('sees timer-driven messages only when the clock moves; expectNoMessage(ms) moves it', async () => {
    const { app, testing } = await boot([Checkout]);
    close = () => app.close();
    const billing = await testing.probe('billing');
    await billing.expectNoMessage(59_999);
    await expect(billing.expectCast('remind')).rejects.toThrow(/no message arrived \(clock at 59999 ms/);
    await testing.clock.tick(1);
    expect(await billing.expectCast('remind')).toEqual({ type: 'remind', orders: 0 });
    await testing.clock.tick(60_000);
    await expect(billing.expectNoMessage()).rejects.toThrow(TestProbeError);
  });

  it('fails an expectation that gets another kind or type of message, naming what came', async () => {
    const { app, testing } = await boot([Checkout]);
    close = () => app.close();
    const billing = await testing.probe('billing');
    void testing.runtime.cast('billing', { type: 'hello' });
    await expect(billing.expectCall('charge')).rejects.toThrow(/expected a call of type "charge", got a cast .*hello/);
    void testing.runtime.cast('billing', { type: 'hello' });
    await expect(billing.expectCast('bye')).rejects.toThrow(/expected a cast of type "bye", got a cast/);
  });

  it('expects terminations (with the reason) and restarts of other processes', async () => {
    const { app, testing } = await boot([Counter]);
    close = () => app.close();
    await testing.runtime.start(Counter, { name: 'c', restart: 'permanent' });
    const probe = await testing.probe();
    probe.watch('c');
    testing.faults.crashAfter('c', 0);
    await expect(testing.runtime.call('c', { type: 'inc' })).rejects.toBeInstanceOf(ProcessCrashedError);
    expect(await probe.expectTerminated('c')).toMatch(/injected fault/);
    expect(await probe.expectRestart('c')).toMatchObject({ name: 'c', restarts: 1 });
    await expect(probe.expectRestart('c')).rejects.toThrow(/expected process "c" to restart/);
    probe.watch('c');
    await expect(probe.expectTerminated('c')).rejects.toThrow(/still runs/);
    await testing.runtime.cast('c', { type: 'stop' });
    expect(await probe.expectTerminated('c')).toBe('normal');
    expect(await probe.expectTerminated('nobody')).toBe('noproc');
  });

  it('refuses a name that is taken, and a probe without a name has no messages to expect', async () => {
    const { app, testing } = await boot([Checkout]);
    close = () => app.close();
    await expect(testing.probe('checkout')).rejects.toMatchObject({ name: 'AlreadyStartedError' });
    const watcher = await testing.probe();
    await expect(watcher.expectCast()).rejects.toThrow(/no name/);
  });
});

describe('fault injection', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('crashAfter(name, n): n messages are handled as usual, the next crashes the process, and the supervisor restarts it', async () => {
    const { app, testing } = await boot([Counter]);
    close = () => app.close();
    await testing.runtime.start(Counter, { name: 'c' });
    testing.faults.crashAfter('c', 2);
    expect(await testing.runtime.call('c', { type: 'inc' })).toBe(1);
    expect(await testing.runtime.call('c', { type: 'inc' })).toBe(2);
    const crashed = await testing.runtime.call('c', { type: 'inc' }).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(ProcessCrashedError);
    expect(String((crashed as Error).message)).toMatch(/injected fault/);
    await testing.clock.runUntilIdle();
    expect(await testing.runtime.call('c', { type: 'inc' })).toBe(1); // restarted with fresh state, fault spent
    expect(() => testing.faults.crashAfter('c', -1)).toThrow(/faults.crashAfter messages/);
    expect(() => testing.faults.crashAfter(42 as unknown as string, 1)).toThrow(/faults.crashAfter name/);
  });

  it('failStoreWrite: the next checkpoint of a durable process fails as a store that is down, the process restarts from the last saved state', async () => {
    const { app, testing } = await boot([Counter]);
    close = () => app.close();
    await testing.runtime.start(Counter, { name: 'durable', stateStore: { type: 'memory' }, durableReplies: true });
    expect(await testing.runtime.call('durable', { type: 'inc' })).toBe(1);
    testing.faults.failStoreWrite('durable');
    const failed = await testing.runtime.call('durable', { type: 'inc' }).catch((e: unknown) => e);
    await testing.clock.runUntilIdle();
    expect(await testing.runtime.call('durable', { type: 'inc' })).toBe(2);
    expect(failed).toBeInstanceOf(Error); // acknowledged means durable: the unsaved increment was never acknowledged
    expect(() => testing.faults.failStoreWrite('durable', 0)).toThrow(/times/);
    expect(new InjectedFaultError('store-write', 'x').message).toMatch(/refuses a write of "x"/);
  });
});
