import type { INestApplication } from '@nestjs/common';
import { get, type IncomingMessage } from 'node:http';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AgentModel } from '../../sample/agent-model.provider.js';
import { AppModule } from '../../sample/app.module.js';
import { GREETING } from '../../sample/support-model.script.js';
import { startFakeModelServer } from '../support/fake-model-server.js';

// #13: the sample's support agent over HTTP, against the local scripted model server the sample
// starts when no OPENAI_BASE_URL is set. Its tools call the sample's real rate limiter and cache.

interface SseEvent {
  id: string;
  event: string;
  data: { seq: number; type: string; text?: string; toolName?: string; result?: unknown; usage?: { input: number; output: number } };
}

/** The events of an SSE body (`id:`, `event:`, `data:` lines, a blank line after each). */
function parseSse(body: string): SseEvent[] {
  return body
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as SseEvent['data'] };
    });
}

describe('sample app: the support agent over HTTP', () => {
  let app: INestApplication;
  let url: string;
  let closed = false;
  const saved = { base: process.env.OPENAI_BASE_URL, refill: process.env.RATE_LIMIT_REFILL };
  const http = () => request(app.getHttpServer());
  const task = (input: string, id?: string) => http().post('/agents/support/tasks').send({ input, id });
  // node:http without an agent: one connection per stream, closed with it (as an EventSource's is).
  const events = (taskId: string, input?: string, headers: Record<string, string> = {}) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const query = input === undefined ? '' : `?input=${encodeURIComponent(input)}`;
      get(`${url}/agents/support/tasks/${taskId}/events${query}`, { headers, agent: false }, resolve).on('error', reject);
    });
  const textOf = async (response: IncomingMessage) => {
    let text = '';
    for await (const chunk of response) text += String(chunk);
    return text;
  };

  beforeEach(async () => {
    delete process.env.OPENAI_BASE_URL;
    // No refill during a test: the limiter's count moves only when a token is taken.
    process.env.RATE_LIMIT_REFILL = '0';
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    closed = false;
  });
  afterEach(async () => {
    if (!closed) await app.close();
    if (saved.base === undefined) delete process.env.OPENAI_BASE_URL;
    else process.env.OPENAI_BASE_URL = saved.base;
    if (saved.refill === undefined) delete process.env.RATE_LIMIT_REFILL;
    else process.env.RATE_LIMIT_REFILL = saved.refill;
  });

  it('answers a quota question with a token taken from the real rate limiter', async () => {
    const reply = await task('Am I within my rate limit?').expect(200);
    expect(reply.body).toMatchObject({
      text: 'You are within your quota: I took one token from the rate limiter, 99 remain.',
      toolCalls: [{ name: 'acquireToken', args: {}, result: { ok: true, remaining: 99 } }],
    });
    // The token is gone from the limiter the rest of the app uses.
    await http().post('/acquire').expect(200, { ok: true, remaining: 98 });
    const status = await http().get('/agents/support').expect(200);
    expect(status.body).toMatchObject({ toolCalls: 1, errors: 0, running: null, queued: 0 });
  });

  it('remembers a note in the real cache, and recalls what the cache holds', async () => {
    const note = await task('Please remember color=blue').expect(200);
    expect(note.body.toolCalls).toEqual([{ id: expect.any(String), name: 'cacheNote', args: { key: 'color', value: 'blue' }, result: { key: 'color', saved: true, value: 'blue' } }]);
    await http().get('/cache/color').expect(200, { hit: true, value: 'blue' });
    // Changed behind the agent's back: the recall reads the cache, not the conversation.
    await http().put('/cache/color').send({ value: 'green' }).expect(200);
    const recalled = await task('recall color').expect(200);
    expect(recalled.body.toolCalls[0].result).toEqual({ key: 'color', found: true, value: 'green' });
    expect(recalled.body.text).toBe('Your note color is "green".');
    expect((await task('recall size').expect(200)).body.text).toBe('I have no note named size.');
  });

  it('streams a task as SSE: ids 1..n, the event type, the event as data, done last', async () => {
    const response = await events('hello-1', 'hello');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const stream = parseSse(await textOf(response));
    expect(stream.map((e) => e.id)).toEqual(stream.map((_, i) => String(i + 1)));
    expect(stream.every((e) => e.event === e.data.type && e.id === String(e.data.seq))).toBe(true);
    expect(stream.filter((e) => e.event === 'text-delta').length).toBeGreaterThan(3);
    expect(stream.filter((e) => e.event === 'text-delta').map((e) => e.data.text).join('')).toBe(GREETING);
    expect(stream.at(-1)).toMatchObject({ event: 'done', data: { text: GREETING } });
    // The same task id by POST: the finished task's reply, not a second run.
    const reply = await task('hello', 'hello-1').expect(200);
    expect(reply.body).toMatchObject({ id: 'hello-1', text: GREETING, usage: stream.at(-1)!.data.usage });
  });

  it('resumes a stream cut mid-way from Last-Event-ID, without running the task twice', async () => {
    let received = '';
    for await (const chunk of await events('resume-1', 'hi there')) {
      received += String(chunk);
      if (parseSse(received).some((e) => e.id === '3')) break; // the client goes away after event 3, mid-turn
    }
    const before = parseSse(received).filter((e) => Number(e.id) <= 3);
    expect(before.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(before.some((e) => e.event === 'done')).toBe(false);

    const resumed = parseSse(await textOf(await events('resume-1', 'hi there', { 'last-event-id': '3' })));
    expect(resumed.map((e) => e.id)).toEqual(resumed.map((_, i) => String(i + 4)));
    const all = [...before, ...resumed];
    expect(all.filter((e) => e.event === 'text-delta').map((e) => e.data.text).join('')).toBe(GREETING);
    expect(resumed.at(-1)).toMatchObject({ event: 'done', data: { text: GREETING } });
    // One run: the agent counted the tokens of one task.
    const status = await http().get('/agents/support').expect(200);
    expect(status.body.tokens).toEqual(resumed.at(-1)!.data.usage);
  });

  it('cancels a running task: its caller gets 409 TaskCancelledError, and the agent goes on', async () => {
    const running = task('hello', 'long-1').then((r) => r);
    while ((await http().get('/agents/support')).body.running !== 'long-1') await new Promise((resolve) => setTimeout(resolve, 5));
    await http().post('/agents/support/tasks/long-1/cancel').expect(200, { cancelled: true });
    const cancelled = await running;
    expect(cancelled.status).toBe(409);
    expect(cancelled.body).toMatchObject({ error: 'TaskCancelledError', process: 'support' });
    await http().post('/agents/support/tasks/long-1/cancel').expect(200, { cancelled: false });
    expect((await task('hello again').expect(200)).body.text).toBe(GREETING);
  });

  it('answers 404 for a name that is no agent, and 400 for a task without input', async () => {
    expect((await http().post('/agents/nobody/tasks').send({ input: 'x' }).expect(404)).body).toMatchObject({ error: 'NoSuchProcessError' });
    await http().post('/agents/cache/tasks').send({ input: 'x' }).expect(404);
    expect((await http().post('/agents/support/tasks').send({}).expect(400)).body).toMatchObject({ error: 'InvalidPayloadError' });
    const noInput = await events('t');
    expect(noInput.statusCode).toBe(400);
    expect(JSON.parse(await textOf(noInput))).toMatchObject({ message: expect.stringContaining('?input=') });
    expect((await events('t', 'x', { 'last-event-id': 'abc' })).statusCode).toBe(400);
  });

  it('runs against a local model server on 127.0.0.1 without any key, closed with the app', async () => {
    const { baseURL } = app.get(AgentModel);
    expect(baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    await app.close();
    closed = true;
    await expect(fetch(`${baseURL}/chat/completions`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});

describe('sample app: the support agent on an OpenAI-compatible endpoint', () => {
  const saved = { base: process.env.OPENAI_BASE_URL, model: process.env.OPENAI_MODEL, key: process.env.OPENAI_API_KEY };
  afterEach(() => {
    for (const [name, value] of [['OPENAI_BASE_URL', saved.base], ['OPENAI_MODEL', saved.model], ['OPENAI_API_KEY', saved.key]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('sends its requests to OPENAI_BASE_URL with OPENAI_MODEL, and starts no local server', async () => {
    // Any server speaking the API will do: here, one the test runs.
    const endpoint = await startFakeModelServer(() => ({ text: 'from the endpoint' }));
    process.env.OPENAI_BASE_URL = endpoint.url;
    process.env.OPENAI_MODEL = 'my-model';
    process.env.OPENAI_API_KEY = 'sk-test';
    const app = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
    try {
      await app.init();
      expect(app.get(AgentModel).baseURL).toBe(endpoint.url);
      const reply = await request(app.getHttpServer()).post('/agents/support/tasks').send({ input: 'hello' }).expect(200);
      expect(reply.body.text).toBe('from the endpoint');
      expect(endpoint.requests.map((r) => r.model)).toEqual(['my-model']);
    } finally {
      await app.close();
      await endpoint.close();
    }
  });
});
