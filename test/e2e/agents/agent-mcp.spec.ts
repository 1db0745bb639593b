import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, AgentProcess, ProcessInitError, type TaskReply } from 'nestjs-genserver';
import { bootApp, type TestApp } from '../../support/app.js';
import { lastUserText, startFakeModelServer, type FakeModelServer } from '../../support/fake-model-server.js';

// #13: an agent's MCP servers are started over stdio (a real local MCP server, the official SDK on
// both ends); their tools are offered under their MCP names and run like any tool.

const server = fileURLToPath(new URL('../../fixtures/mcp-server.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agent-mcp-'));
const mcpLog = join(dir, 'calls.log');

@Agent({ name: 'mcp-user', mcp: [{ name: 'test-tools', command: process.execPath, args: [server], env: { MCP_LOG: mcpLog } }] })
class McpUser extends AgentProcess {}

@Agent({ name: 'mcp-broken', mcp: [{ name: 'nowhere', command: '/nonexistent/mcp-server' }] })
class McpBroken extends AgentProcess {}

describe('agents: MCP tools', () => {
  let model: FakeModelServer;
  let app: TestApp;
  beforeEach(async () => {
    model = await startFakeModelServer((request) => {
      const last = request.messages.at(-1)!;
      if (last.role === 'user') return lastUserText(request) === 'fail' ? { toolCalls: [{ name: 'fail', args: {} }] } : { toolCalls: [{ name: 'shout', args: { text: lastUserText(request) } }] };
      return { text: `tool said ${typeof last.content === 'string' ? last.content : JSON.stringify(last.content)}` };
    });
  });
  afterEach(async () => {
    await app?.close();
    await model.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('offers the MCP server tools to the model and runs them through the MCP client', async () => {
    app = await bootApp([McpUser], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: model.url })('m') } });
    const reply = await app.runtime.call<TaskReply>('mcp-user', { type: 'task', input: 'hello' }, { timeout: 10_000 });
    expect(model.requests[0].tools.sort()).toEqual(['fail', 'shout']);
    expect(reply.toolCalls).toEqual([{ id: expect.any(String), name: 'shout', args: { text: 'hello' }, result: 'HELLO' }]);
    expect(reply.text).toBe('tool said HELLO');
    const failed = await app.runtime.call<TaskReply>('mcp-user', { type: 'task', input: 'fail' }, { timeout: 10_000 });
    expect(failed.toolCalls[0].result).toEqual({ error: 'it failed on purpose' });
    expect(app.runtime.status('mcp-user').agent).toMatchObject({ toolCalls: 2, errors: 1 });
    expect(readFileSync(mcpLog, 'utf8').trim().split('\n')).toEqual(['shout hello', 'fail']);
  });

  it('fails the start with ProcessInitError when an MCP server cannot be started', async () => {
    const error = await bootApp([McpBroken], { agents: { model: createOpenAICompatible({ name: 'fake', baseURL: model.url })('m') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProcessInitError);
    expect(String((error as Error).message)).toMatch(/mcp-broken.*ENOENT/s);
  });
});
