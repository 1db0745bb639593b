import {
  AlreadyStartedError,
  CallCycleError,
  GenServer,
  GenServerProcess,
  HandleCall,
  HandleCast,
  HandleInfo,
  InvalidPayloadError,
  MailboxFullError,
  NoSuchProcessError,
  ProcessCrashedError,
  UnhandledMessageError,
  ProcessStoppedError,
  noReply,
  type GenServerModuleOptions,
} from 'nestjs-genserver';
import { bootApp, gate, sleep, type TestApp } from '../../support/app.js';
import { startNats, type NatsServer } from '../../support/nats-server.js';

// #10: several Nest apps joined through a real nats-server, here in one OS process so that every
// routing rule can be checked quickly (the failover suite runs real OS processes).

const TTL = 900;
let inits: string[] = [];
const release = { current: gate() };

@GenServer('counter')
class Counter extends GenServerProcess<{ n: number; seen: string[] }> {
  override init() {
    inits.push(this.name);
    this.state ??= { n: 0, seen: [] };
  }
  @HandleCall('inc') inc(msg: { type: 'inc'; by?: number }) {
    this.state.n += msg.by ?? 1;
    return this.state.n;
  }
  @HandleCast('note') note(msg: { type: 'note'; id: string }) {
    this.state.seen.push(msg.id);
  }
  @HandleCall('get') get() {
    return this.state;
  }
  @HandleCall('boom') boom() {
    throw new Error('kaput');
  }
  @HandleCall('echo') echo(msg: { type: 'echo'; value: unknown }) {
    return msg.value;
  }
  @HandleCall('fn') fn() {
    return { nested: { run: () => 1 } };
  }
  @HandleCall('ask') ask(msg: { type: 'ask'; target: string; then: string }) {
    return this.call(msg.target, { type: msg.then, target: this.name });
  }
}

@GenServer()
class Watcher extends GenServerProcess<{ downs: { name: string; reason: string }[] }> {
  override init() {
    this.state = { downs: [] };
  }
  @HandleCall('watch') watch(msg: { type: 'watch'; target: string }) {
    this.monitor(msg.target);
    return true;
  }
  @HandleInfo('DOWN') down(msg: { name: string; reason: string }) {
    this.state.downs.push({ name: msg.name, reason: msg.reason });
  }
  @HandleCall('downs') downs() {
    return this.state.downs;
  }
}

@GenServer()
class Relay extends GenServerProcess {
  @HandleCall('crash') crash() {
    throw new Error('relay broke');
  }
  @HandleCall('park') park() {
    return noReply();
  }
  @HandleCall('quit') quit() {
    this.stop('normal');
    return 'bye';
  }
  @HandleCall('nap') async nap(msg: { type: 'nap'; n: number }) {
    await sleep(5);
    return msg.n;
  }
  @HandleCall('back') back(msg: { type: 'back'; target: string }) {
    return this.call(msg.target, { type: 'get' }).catch((error: Error) => ({ error: error.name, chain: (error as CallCycleError).chain }));
  }
  @HandleCall('whoami') whoami(_msg: unknown, from: { caller: string | null }) {
    return from.caller;
  }
  @HandleCall('hold') async hold() {
    await release.current.promise;
    return 'held';
  }
  @HandleCast('hold') async holdCast() {
    await release.current.promise;
  }
}

describe('cluster routing (three apps on one nats-server)', () => {
  let nats: NatsServer;
  let nodes: TestApp[] = [];

  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats.stop();
  });
  afterEach(async () => {
    await Promise.all(nodes.map((node) => node.close()));
    nodes = [];
    inits = [];
  });

  let prefix = 0;
  async function cluster(count: number, options: GenServerModuleOptions = {}): Promise<TestApp[]> {
    const p = `t${++prefix}`;
    for (let i = 0; i < count; i++) {
      nodes.push(await bootApp([Counter, Relay, Watcher], {
        cluster: { transport: 'nats', servers: nats.url, node: `n${i}`, leaseTtlMs: TTL, prefix: p },
        supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'counter', type: Counter }] },
        ...options,
      }));
    }
    return nodes;
  }

  it('runs a topology child once in the whole cluster; the others wait in standby and agree on where it runs', async () => {
    const [a, b, c] = await cluster(3);
    expect(inits).toEqual(['counter']);
    const refs = [a, b, c].map((node) => node!.runtime.whereis('counter'));
    expect(refs[0]).toMatchObject({ name: 'counter', type: 'Counter', node: 'n0' });
    await sleep(100); // the lease bucket's news reaches the other nodes
    const seen = [a, b, c].map((node) => node!.runtime.whereis('counter'));
    expect(new Set(seen.map((ref) => `${ref?.node}@${ref?.epoch}`)).size).toBe(1);
    expect(b!.runtime.status('counter')).toMatchObject({ status: 'standby', node: 'n0' });
    expect(a!.runtime.tree()!.children![0]).toMatchObject({ name: 'counter', status: 'running', node: 'n0' });
    expect(a!.runtime.nodes().map((n) => n.node)).toEqual(['n0', 'n1', 'n2']);
    expect(a!.runtime.nodes()[0]!.processes).toEqual(['counter']);
    expect(a!.events.filter((e) => e.type === 'node-up').map((e) => (e as { node: string }).node).sort()).toEqual(['n1', 'n2']);
  });

  it('calls and casts by name from every node reach the one activation, casts in order per sender', async () => {
    const all = await cluster(3);
    const results = await Promise.all(all.flatMap((node) => [1, 2, 3].map(() => node.runtime.call<number>('counter', { type: 'inc' }))));
    expect(results.sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 0; i < 50; i++) await Promise.all(all.map((node, n) => node.runtime.cast('counter', { type: 'note', id: `${n}:${i}` })));
    const { n, seen } = await all[2]!.runtime.call<{ n: number; seen: string[] }>('counter', { type: 'get' });
    expect(n).toBe(9);
    for (const sender of ['0', '1', '2']) {
      const mine = seen.filter((id) => id.startsWith(`${sender}:`)).map((id) => Number(id.split(':')[1]));
      expect(mine).toEqual([...Array(50).keys()]);
    }
  });

  it('gives the same typed errors on every node', async () => {
    const [, b] = await cluster(2);
    const remote = b!.runtime;
    await expect(remote.call('nobody', { type: 'x' })).rejects.toBeInstanceOf(NoSuchProcessError);
    await expect(remote.cast('nobody', { type: 'x' })).rejects.toBeInstanceOf(NoSuchProcessError);
    const crashed = await remote.call('counter', { type: 'boom' }).catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(ProcessCrashedError);
    expect(crashed).toMatchObject({ process: 'counter', messageType: 'boom' });
    expect((crashed as Error).message).toContain('kaput');
    await expect(remote.call('counter', { type: 'nope' })).rejects.toBeInstanceOf(UnhandledMessageError);
    const deep = await remote.call('counter', { type: 'echo', value: { list: [1, { f: () => 1 }] } }).catch((e: unknown) => e);
    expect(deep).toBeInstanceOf(InvalidPayloadError);
    expect((deep as Error).message).toContain('$.value.list[1].f: a function');
    const reply = await remote.call('counter', { type: 'fn' }).catch((e: unknown) => e);
    expect(reply).toBeInstanceOf(InvalidPayloadError);
    expect(reply).toMatchObject({ what: 'reply' });
    const big = await remote.call('counter', { type: 'echo', value: 'x'.repeat(2 * 1024 * 1024) }).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(InvalidPayloadError);
    expect((big as Error).message).toMatch(/is \d+ bytes once encoded, more than the NATS server's max payload of 1048576 bytes/);
    // What crosses is what was sent: dates, bytes, undefined and NaN arrive as they left.
    const sent = { at: new Date(5), bytes: new Uint8Array([1, 2]), none: undefined, nan: NaN, nested: [{ deep: -0 }] };
    const echoed = await remote.call<typeof sent>('counter', { type: 'echo', value: sent });
    expect(echoed.at).toEqual(new Date(5));
    expect(echoed.bytes).toEqual(new Uint8Array([1, 2]));
    expect('none' in echoed && echoed.none === undefined).toBe(true);
    expect(echoed.nan).toBeNaN();
  });

  it('refuses a cast or call to a full mailbox on another node as it does locally', async () => {
    const [a, b] = await cluster(2);
    release.current = gate();
    await a!.runtime.start(Relay, { name: 'bounded', maxMailbox: 1 });
    await b!.runtime.cast('bounded', { type: 'hold' }); // running
    await b!.runtime.cast('bounded', { type: 'hold' }); // queued: the mailbox is full
    await expect(b!.runtime.cast('bounded', { type: 'hold' })).rejects.toBeInstanceOf(MailboxFullError);
    await expect(b!.runtime.call('bounded', { type: 'hold' })).rejects.toMatchObject({ name: 'MailboxFullError', process: 'bounded' });
    release.current.open();
  });

  it('starts a name once cluster-wide: reachable from every node when start resolves, AlreadyStartedError anywhere else', async () => {
    const [a, b, c] = await cluster(3);
    await b!.runtime.start(Relay, { name: 'relay-1' });
    await expect(a!.runtime.call('relay-1', { type: 'whoami' })).resolves.toBeNull();
    await expect(c!.runtime.start(Relay, { name: 'relay-1' })).rejects.toBeInstanceOf(AlreadyStartedError);
    await expect(b!.runtime.start(Relay, { name: 'relay-1' })).rejects.toBeInstanceOf(AlreadyStartedError);
    expect(c!.runtime.list()).not.toContain('relay-1');
    await b!.runtime.stop('relay-1');
    await c!.runtime.start(Relay, { name: 'relay-1' }); // free again once stopped
    expect(c!.runtime.whereis('relay-1')).toMatchObject({ node: 'n2' });
  });

  it('passes the caller and detects call cycles across nodes', async () => {
    const [a, b] = await cluster(2);
    await b!.runtime.start(Relay, { name: 'relay' });
    await expect(a!.runtime.call('counter', { type: 'ask', target: 'relay', then: 'whoami' })).resolves.toBe('counter');
    const cycle = await a!.runtime.call<{ error: string; chain: string[] }>('counter', { type: 'ask', target: 'relay', then: 'back' });
    expect(cycle).toEqual({ error: 'CallCycleError', chain: ['counter', 'relay', 'counter'] });
  });

  it('delivers DOWN to a monitor on another node when the process crashes or stops there', async () => {
    const [a, b] = await cluster(2);
    await a!.runtime.start(Watcher, { name: 'watcher' });
    await b!.runtime.start(Relay, { name: 'relay', restart: 'permanent' });
    await sleep(50); // the lease bucket's news reaches node a
    await a!.runtime.call('watcher', { type: 'watch', target: 'relay' });
    await expect(a!.runtime.call('relay', { type: 'crash' })).rejects.toBeInstanceOf(ProcessCrashedError);
    // The DOWN comes over NATS just after the crash's reply: a monitor made before it lands sees it too.
    while ((await a!.runtime.call<unknown[]>('watcher', { type: 'downs' })).length === 0) await sleep(10);
    await a!.runtime.call('watcher', { type: 'watch', target: 'relay' });
    await b!.runtime.stop('relay');
    await sleep(100);
    await a!.runtime.call('watcher', { type: 'watch', target: 'nobody' });
    const downs = await a!.runtime.call<{ name: string; reason: string }[]>('watcher', { type: 'downs' });
    expect(downs).toEqual([
      { name: 'relay', reason: 'relay broke' },
      { name: 'relay', reason: 'normal' },
      { name: 'nobody', reason: 'noproc' },
    ]);
  });

  it('places a start on a named node or on the least loaded one; a node that is not live is a NoSuchNodeError', async () => {
    const [a, b, c] = await cluster(3);
    await a!.runtime.start(Relay, { name: 'placed', node: 'n2' });
    expect(a!.runtime.whereis('placed')).toMatchObject({ node: 'n2' });
    expect([a, b, c].map((node) => node!.runtime.node)).toEqual(['n0', 'n1', 'n2']);
    await expect(c!.runtime.call('placed', { type: 'whoami' })).resolves.toBeNull();
    await expect(b!.runtime.start('Relay', { name: 'placed', node: 'n1' })).rejects.toBeInstanceOf(AlreadyStartedError);
    await expect(a!.runtime.start(Relay, { name: 'nowhere', node: 'n9' })).rejects.toMatchObject({ name: 'NoSuchNodeError', node: 'n9' });
    await sleep(TTL / 2); // a heartbeat tells the others what each node runs
    await a!.runtime.start(Relay, { name: 'anywhere', node: 'any' });
    expect(a!.runtime.whereis('anywhere')!.node).toBe('n1'); // n0 runs counter, n2 runs placed
  });

  it('runs a scope: node process once per node, reached locally', async () => {
    const all = await cluster(2);
    for (const node of all) await node.runtime.start(Relay, { name: 'local-cache', scope: 'node' });
    expect(all.map((node) => node.runtime.whereis('local-cache')?.node)).toEqual(['n0', 'n1']);
    await expect(all[1]!.runtime.start(Relay, { name: 'local-cache', scope: 'node' })).rejects.toBeInstanceOf(AlreadyStartedError);
  });

  it('starts a dynamic process again on a surviving node when its node leaves, unless it was stopped for good or is temporary', async () => {
    const [a, b, c] = await cluster(3, { stateStore: { type: 'nats', servers: nats.url, bucket: `state${prefix + 1}` } });
    await b!.runtime.start(Relay, { name: 'durable', restart: 'permanent' });
    await b!.runtime.start(Relay, { name: 'once', restart: 'temporary' });
    await b!.runtime.start(Relay, { name: 'done', restart: 'permanent' });
    await b!.runtime.stop('done');
    await b!.close();
    const started = Date.now();
    let where: string | undefined;
    while (where === undefined && Date.now() - started < 5000) {
      where = await a!.runtime.call('durable', { type: 'whoami' }).then(() => a!.runtime.whereis('durable')?.node, () => undefined);
      if (where === undefined) await sleep(20);
    }
    expect(['n0', 'n2']).toContain(where);
    await sleep(TTL * 3.5); // one sweep for orphans later, still nothing else came back
    await expect(c!.runtime.call('once', { type: 'whoami' })).rejects.toBeInstanceOf(NoSuchProcessError);
    await expect(c!.runtime.call('done', { type: 'whoami' })).rejects.toBeInstanceOf(NoSuchProcessError);
  });

  it('keeps at most maxInFlight remote calls in flight per node; the rest wait their turn, in order', async () => {
    const [a, b] = await cluster(2, {});
    await b!.close();
    nodes.pop();
    const bounded = await bootApp([Counter, Relay, Watcher], {
      cluster: { transport: 'nats', servers: nats.url, node: 'nb', leaseTtlMs: TTL, prefix: `t${prefix}`, maxInFlight: 2 },
      supervision: { name: 'root', strategy: 'one_for_one', children: [{ name: 'counter', type: Counter }] },
    });
    nodes.push(bounded);
    await a!.runtime.start(Relay, { name: 'napper' });
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, a!.runtime.status('napper').mailbox)), 1);
    const answers = await Promise.all([...Array(30).keys()].map((n) => bounded.runtime.call<number>('napper', { type: 'nap', n })));
    clearInterval(sampler);
    expect(answers).toEqual([...Array(30).keys()]);
    // Two in flight: one being handled, at most one waiting in the owner's mailbox.
    expect(most).toBeLessThanOrEqual(1);
    for (let i = 0; i < 20; i++) void bounded.runtime.cast('counter', { type: 'note', id: `b:${i}` });
    await sleep(200);
    const { seen } = await a!.runtime.call<{ seen: string[] }>('counter', { type: 'get' });
    expect(seen).toEqual([...Array(20).keys()].map((i) => `b:${i}`));
  });

  it('fails a call from another node that the process deferred and never answered when its incarnation ends', async () => {
    const [a, b] = await cluster(2);
    await a!.runtime.start(Relay, { name: 'parker' });
    const parked = b!.runtime.call('parker', { type: 'park' }, { timeout: 20_000 }).catch((e: unknown) => e);
    await sleep(50);
    const started = Date.now();
    await b!.runtime.call('parker', { type: 'quit' });
    const error = await parked;
    expect(error).toBeInstanceOf(ProcessStoppedError);
    expect(error).toMatchObject({ process: 'parker' });
    expect(Date.now() - started).toBeLessThan(2000); // answered when the incarnation ended, not at the timeout
  });

  it('hands a name over at once when its node leaves, restored from the shared store', async () => {
    const [a, b] = await cluster(2, { stateStore: { type: 'nats', servers: nats.url, bucket: `state${prefix + 1}` } });
    for (let i = 0; i < 5; i++) await b!.runtime.call('counter', { type: 'inc' });
    const before = a!.runtime.whereis('counter')!;
    const started = Date.now();
    await a!.close();
    let n: number | undefined;
    while (n === undefined && Date.now() - started < 5000) {
      n = await b!.runtime.call<number>('counter', { type: 'inc' }).catch(() => undefined);
      if (n === undefined) await sleep(20);
    }
    expect(n).toBe(6);
    const after = b!.runtime.whereis('counter')!;
    expect(after).toMatchObject({ node: 'n1' });
    expect(after.epoch!).toBeGreaterThan(before.epoch!);
    expect(b!.events.some((e) => e.type === 'node-down' && e.node === 'n0')).toBe(true);
  });
});
