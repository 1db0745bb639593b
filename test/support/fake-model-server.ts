import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A local HTTP server that speaks the OpenAI-compatible chat completions API the way providers
// stream it (SSE chunks, tool-call argument fragments, a usage chunk, `[DONE]`), driven by a script
// a test writes: what each request answers, how fast, with which usage, or a 429 with Retry-After.
// No SDK is mocked: the AI SDK's openai-compatible provider talks to it over real HTTP.

/** One message of the conversation a request sent, as the wire has it. */
export interface WireMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string | null | { type: string; text?: string }[];
  tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

/** What one request was. */
export interface ModelRequest {
  model: string;
  messages: WireMessage[];
  tools: string[];
  /** When it arrived and, once its response ended or its client went away, when that was (ms, performance.now()). */
  at: number;
  closedAt?: number;
  /** The client closed the connection before the response ended. */
  aborted?: boolean;
}

/** How to answer one request. */
export interface ModelReply {
  /** Text sent as deltas of `chunk` characters (default 4). */
  text?: string;
  chunk?: number;
  /** `rawArgs`: the arguments text as sent (e.g. not JSON), instead of `args` as JSON. */
  toolCalls?: { id?: string; name: string; args?: unknown; rawArgs?: string }[];
  /** Destroy the socket after this many text chunks (no finish, no `[DONE]`). */
  cutAfter?: number;
  /** End the response cleanly after this many text chunks (no finish chunk, no `[DONE]`). */
  endAfter?: number;
  usage?: { input: number; output: number };
  /** Send no usage chunk (a provider that does not report usage). */
  noUsage?: boolean;
  /** Delay before each chunk (ms). */
  delayMs?: number;
  /** Answer with this HTTP status and no stream (429 with `retryAfter` seconds, 500…). */
  status?: number;
  retryAfter?: string;
}

export type ModelScript = (request: ModelRequest, index: number) => ModelReply;

export interface FakeModelServer {
  readonly url: string;
  /** Every request so far, in arrival order. */
  readonly requests: ModelRequest[];
  /** Replaces the script (requests keep their numbering). */
  script(script: ModelScript): void;
  close(): Promise<void>;
}

/** The text of a wire message's content. */
export function textOf(message: WireMessage): string {
  if (typeof message.content === 'string') return message.content;
  return (message.content ?? []).map((part) => part.text ?? '').join('');
}

/** The last user message's text of a request. */
export function lastUserText(request: ModelRequest): string {
  const user = [...request.messages].reverse().find((m) => m.role === 'user');
  return user === undefined ? '' : textOf(user);
}

/** A script whose first request is answered 429 with `Retry-After: retryAfter`, and every later one by `then`. */
export function throttledOnce(retryAfter: string, then: ModelScript): ModelScript {
  let throttled = false;
  return (request, index) => {
    if (throttled) return then(request, index);
    throttled = true;
    return { status: 429, retryAfter };
  };
}

export async function startFakeModelServer(script: ModelScript = () => ({ text: 'ok' })): Promise<FakeModelServer> {
  const requests: ModelRequest[] = [];
  let current = script;
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req, res) => void serve(req, res));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model: string; messages: WireMessage[]; tools?: { function: { name: string } }[] };
    const request: ModelRequest = { model: body.model, messages: body.messages, tools: (body.tools ?? []).map((t) => t.function.name), at: performance.now() };
    const index = requests.push(request) - 1;
    let ended = false;
    res.on('close', () => {
      request.closedAt ??= performance.now();
      if (!ended) request.aborted = true;
    });
    const reply = current(request, index);
    if (reply.status !== undefined) {
      ended = true;
      res.writeHead(reply.status, { 'content-type': 'application/json', ...(reply.retryAfter === undefined ? {} : { 'retry-after': reply.retryAfter }) });
      res.end(JSON.stringify({ error: { message: `scripted ${reply.status}`, type: 'scripted' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const id = `chatcmpl-${index}`;
    const send = async (payload: object) => {
      if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      if (res.destroyed) throw new Error('client gone');
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model, ...payload })}\n\n`);
    };
    try {
      await send({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
      const text = reply.text ?? '';
      const size = reply.chunk ?? 4;
      let sent = 0;
      for (let at = 0; at < text.length; at += size) {
        if (reply.cutAfter === sent) {
          res.socket?.destroy();
          return;
        }
        if (reply.endAfter === sent) {
          ended = true;
          res.end();
          return;
        }
        await send({ choices: [{ index: 0, delta: { content: text.slice(at, at + size) }, finish_reason: null }] });
        sent++;
      }
      const calls = reply.toolCalls ?? [];
      for (const [i, call] of calls.entries()) {
        const args = call.rawArgs ?? JSON.stringify(call.args ?? {});
        const half = Math.ceil(args.length / 2);
        // Arguments arrive in fragments, as providers send them.
        await send({ choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: call.id ?? `call_${index}_${i}`, type: 'function', function: { name: call.name, arguments: args.slice(0, half) } }] }, finish_reason: null }] });
        await send({ choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: args.slice(half) } }] }, finish_reason: null }] });
      }
      await send({ choices: [{ index: 0, delta: {}, finish_reason: calls.length > 0 ? 'tool_calls' : 'stop' }] });
      if (!reply.noUsage) {
        const usage = reply.usage ?? { input: 10, output: Math.max(1, Math.ceil(text.length / 4)) };
        await send({ choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } });
      }
      res.write('data: [DONE]\n\n');
      ended = true;
      res.end();
    } catch {
      // The client went away mid-stream (a cancel): `close` recorded when.
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
