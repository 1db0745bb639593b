import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskReply } from 'nestjs-genserver';
import { killHard } from '../../support/os-process.js';
import { sleep } from '../../support/app.js';
import { startFakeModelServer, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: kill -9 of an app mid-tool; a new app on the same store resumes the turn from its last
// checkpoint: the tool whose result was recorded runs once in all, the model step that asked for
// the tools is not sent again. Real OS processes, a real LMDB store, real HTTP.

const root = fileURLToPath(new URL('../../..', import.meta.url));

function startApp(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['test/fixtures/agent-app.mjs'], { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env } });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

describe('agents: kill -9 and resume', () => {
  let server: FakeModelServer;
  let dir: string;
  beforeEach(async () => {
    server = await startFakeModelServer((_request, i) => (i === 0 ? { toolCalls: [{ name: 'fast', args: {} }, { name: 'slow', args: {} }] } : { text: 'finished' }));
    dir = mkdtempSync(join(tmpdir(), 'agent-kill-'));
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes from the last checkpoint in a new process without running a recorded tool twice', async () => {
    const env = { MODEL_URL: server.url, DB_PATH: join(dir, 'db'), LOG_PATH: join(dir, 'tools.log') };
    const runs = () => (existsSync(env.LOG_PATH) ? readFileSync(env.LOG_PATH, 'utf8').trim().split('\n') : []);
    const first = startApp({ ...env, SLOW_HANGS: '1' });
    const deadline = Date.now() + 20_000;
    while (!(runs().includes('fast') && runs().includes('slow'))) {
      if (Date.now() > deadline) throw new Error(`the first app never ran both tools:\n${first.output()}`);
      await sleep(10);
    }
    await sleep(500); // the fast tool's result message is handled and checkpointed meanwhile
    await killHard(first.child.pid!);
    await first.exited;
    expect(server.requests).toHaveLength(1);

    const second = startApp(env);
    expect(await second.exited).toBe(0);
    const reply = JSON.parse(second.output().trim().split('\n').at(-1)!) as TaskReply;
    expect(reply).toMatchObject({ id: 'k1', text: 'finished' });
    expect(reply.toolCalls.map((c) => [c.name, c.result])).toEqual([['fast', 'fast done'], ['slow', 'slow done']]);
    expect(runs().sort()).toEqual(['fast', 'slow', 'slow']);
    expect(server.requests).toHaveLength(2);
  }, 60_000);
});
