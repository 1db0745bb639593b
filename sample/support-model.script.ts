import { textOf, type ModelReply, type ModelRequest, type ModelScript, type WireMessage } from '../test/support/fake-model-server.js';

/** What the local model says to anything it has no tool for. */
export const GREETING = 'Hi, I am the support agent of this sample. Ask me whether you are within your rate limit, or ask me to remember or recall a note (remember color=blue, recall color).';

// A few characters per chunk, a little apart: a stream a curl -N can watch arrive, and a test can resume mid-way.
const CHUNK = 12;
const CHUNK_DELAY_MS = 15;

/**
 * How the local model answers the support agent, from the last message alone (the same question
 * always gets the same answer): a user asking about a limit or quota gets the `acquireToken` tool,
 * one asking to remember or recall a note gets `cacheNote`, a tool result gets a sentence about it,
 * anything else the greeting. Tool call ids are numbered by the script, so they stay unique even
 * when the server forgets its requests.
 */
export function supportScript(): ModelScript {
  let calls = 0;
  const call = (name: string, args: object): ModelReply => ({ toolCalls: [{ id: `call_${++calls}`, name, args }] });
  return (request: ModelRequest): ModelReply => {
    const last = request.messages.at(-1);
    if (last?.role === 'tool') return say(summarize(request.messages, last));
    const asked = last?.role === 'user' ? textOf(last) : '';
    const note = /\bremember\s+([\w.-]+)\s*(?:=|:|\bis\b|\bas\b)\s*(.+)$/i.exec(asked);
    if (note) return call('cacheNote', { key: note[1], value: note[2].trim() });
    const recall = /\b(?:recall|cached?)\s+([\w.-]+)/i.exec(asked);
    if (recall) return call('cacheNote', { key: recall[1] });
    if (/\bremember\b/i.test(asked)) return say('Tell me what to remember as: remember key=value.');
    if (/\b(?:limit|quota)/i.test(asked)) return call('acquireToken', {});
    return say(GREETING);
  };
}

function say(text: string): ModelReply {
  return { text, chunk: CHUNK, delayMs: CHUNK_DELAY_MS };
}

/** A sentence about a tool's result; the tool's name is in the assistant message that asked for it. */
function summarize(messages: WireMessage[], result: WireMessage): string {
  const asked = messages.flatMap((m) => m.tool_calls ?? []).find((c) => c.id === result.tool_call_id);
  const tool = asked?.function.name ?? 'a';
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(textOf(result)) as Record<string, unknown>;
  } catch {
    return `The ${tool} tool answered: ${textOf(result)}`;
  }
  if (typeof value.error === 'string') return `The ${tool} tool failed: ${value.error}`;
  if (tool === 'acquireToken') {
    return value.ok === true
      ? `You are within your quota: I took one token from the rate limiter, ${String(value.remaining)} remain.`
      : 'You are over your quota right now: the rate limiter has no tokens left. Try again in a second.';
  }
  if (tool === 'cacheNote') {
    const key = String(value.key);
    if (value.saved === true) return `Noted: ${key} = ${JSON.stringify(value.value)}. Ask me to recall ${key} later.`;
    return value.found === true ? `Your note ${key} is ${JSON.stringify(value.value)}.` : `I have no note named ${key}.`;
  }
  return `The ${tool} tool answered: ${JSON.stringify(value)}`;
}
