import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, AgentBusyError, AgentProcess, InvalidOptionError, type TaskReply } from 'nestjs-genserver';
import { bootApp, type TestApp } from '../../support/app.js';
import { lastUserText, startFakeModelServer, textOf, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: an agent's options per process: `agent` in start options, in child specs and in YAML
// (`agent:` on a child, `agents:` for prices), over the class's @Agent options.

@Agent({ type: 'Assistant', system: 'From the class.' })
class Assistant extends AgentProcess {}

describe('agents: options per process, in code and YAML', () => {
  let server: FakeModelServer;
  let app: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'agent-config-'));
  const model = () => createOpenAICompatible({ name: 'fake', baseURL: server.url, includeUsage: true })('m');
  beforeEach(async () => {
    server = await startFakeModelServer((request) => ({ text: `re: ${lastUserText(request)}`, delayMs: 20, usage: { input: 100, output: 10 } }));
  });
  afterEach(async () => {
    await app?.close();
    await server.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('start options override the class: system prompt and busy policy of one process', async () => {
    app = await bootApp([Assistant], { agents: { model: model() } });
    await app.runtime.start(Assistant, { name: 'plain' });
    await app.runtime.start(Assistant, { name: 'strict', agent: { system: 'Per process.', busy: 'reject' } });
    await app.runtime.call('plain', { type: 'task', input: 'a' }, { timeout: 10_000 });
    const running = app.runtime.call('strict', { type: 'task', input: 'b' }, { timeout: 10_000 });
    await expect(app.runtime.call('strict', { type: 'task', input: 'c' })).rejects.toBeInstanceOf(AgentBusyError);
    await running;
    expect(server.requests.map((r) => textOf(r.messages[0]))).toEqual(['From the class.', 'Per process.']);
  });

  it('reads agent: on a YAML child and agents: prices, with the model given in code', async () => {
    const file = join(dir, 'topology.yaml');
    writeFileSync(
      file,
      [
        'genserver:',
        '  agents:',
        '    prices: { m: { input: 2, output: 4 } }',
        '  supervision:',
        '    name: root',
        '    strategy: one_for_one',
        '    children:',
        '      - name: yaml-agent',
        '        type: Assistant',
        '        agent: { system: From YAML., journal: true }',
        '',
      ].join('\n'),
    );
    app = await bootApp([Assistant], { topology: file, agents: { model: model() } });
    const reply = await app.runtime.call<TaskReply>('yaml-agent', { type: 'task', input: 'hi' }, { timeout: 10_000 });
    expect(reply.text).toBe('re: hi');
    expect(textOf(server.requests[0].messages[0])).toBe('From YAML.');
    expect(app.runtime.status('yaml-agent').agent?.cost).toBeCloseTo((100 * 2 + 10 * 4) / 1e6, 12);
    expect((await app.runtime.journal('yaml-agent')).entries.length).toBeGreaterThan(1);
  });

  it.each([
    ['  agent: { busy: sometimes }', /bad\.yaml:8:\d+: genserver\.supervision\.children\[0\]\.agent\.busy: .*"queue"/],
    ['  agent: { sistem: x }', /bad\.yaml:8:\d+: .*agent\.sistem: unknown key "sistem" \(did you mean `system`\?\)/],
    ['  agent: { mcp: [{ name: fs }] }', /agent\.mcp\[0\]\.command/],
  ])('refuses a bad agent: in YAML (%s) naming its path and line', async (line, expected) => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, ['genserver:', '  supervision:', '    name: root', '    strategy: one_for_one', '    children:', '      - name: bad', '        type: Assistant', `      ${line}`, ''].join('\n'));
    await expect(bootApp([Assistant], { topology: file, agents: { model: model() } })).rejects.toThrow(expected);
  });

  it.each([
    [{ busy: 5 }, /start options\.agent\.busy/],
    [{ journal: 'yes' }, /start options\.agent\.journal/],
    [{ mcp: [{ name: 'x' }] }, /start options\.agent\.mcp\[0\]/],
    [{ model: 'gpt' }, /start options\.agent\.model/],
    ['loud', /start options\.agent/],
  ])('refuses start option agent: %p with InvalidOptionError naming the path', async (agent, expected) => {
    app = await bootApp([Assistant], { agents: { model: model() } });
    const error = await app.runtime.start(Assistant, { name: 'x', agent: agent as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toMatch(expected);
  });
});
