import type { FlexibleSchema, LanguageModel, ModelMessage } from 'ai';
import { MAX_THROTTLED_ATTEMPTS, type ModelGateway } from './model-gateway.js';

/** A tool as the model is told of it (its execution stays with the agent). */
export interface ToolSpec {
  readonly description: string;
  readonly parameters: FlexibleSchema<unknown>;
}

/** What one model step produced. */
export interface StepOutcome {
  readonly text: string;
  readonly toolCalls: readonly { readonly toolCallId: string; readonly toolName: string; readonly input: unknown; readonly invalid?: string }[];
  readonly usage: { readonly input: number; readonly output: number };
}

/** Usage of the step in progress, as far as it has come (read when a task is cancelled). */
export interface LiveUsage {
  input: number;
  output: number;
  /** The provider sent running figures (else `output` counts text deltas). */
  reported: boolean;
}

export interface StepRequest {
  readonly model: LanguageModel;
  readonly system: string | undefined;
  readonly messages: readonly ModelMessage[];
  readonly tools: Readonly<Record<string, ToolSpec>>;
  readonly signal: AbortSignal;
  readonly gateway: ModelGateway;
  readonly live: LiveUsage;
  onText(text: string): void;
}

/**
 * One model step: the conversation goes out, text deltas come back as they stream, and the step ends
 * with its text, the tool calls the model asked for (not run: the agent runs them) and its usage.
 * Goes through the provider's gateway: a 429 waits its `Retry-After` and tries again.
 */
export async function runModelStep(request: StepRequest): Promise<StepOutcome> {
  const { streamText, tool, APICallError } = await import('ai');
  const tools = Object.fromEntries(Object.entries(request.tools).map(([name, spec]) => [name, tool({ description: spec.description, inputSchema: spec.parameters })]));
  for (let attempt = 1; ; attempt++) {
    await request.gateway.admit(request.signal);
    let text = '';
    const toolCalls: { toolCallId: string; toolName: string; input: unknown; invalid?: string }[] = [];
    let failure: unknown;
    const result = streamText({
      model: request.model,
      system: request.system,
      messages: [...request.messages],
      // System messages in the conversation are the agent's own (`context`), not a user's input.
      allowSystemInMessages: true,
      tools,
      abortSignal: request.signal,
      // Retries are the gateway's (Retry-After); errors arrive as stream parts and are handled below.
      maxRetries: 0,
      onError: () => undefined,
    });
    for await (const part of result.fullStream) {
      if (part.type === 'text-delta') {
        text += part.text;
        if (!request.live.reported) request.live.output++;
        request.onText(part.text);
      } else if (part.type === 'tool-call') {
        const invalid = (part as { invalid?: boolean; error?: unknown }).invalid === true ? String((part as { error?: unknown }).error ?? 'invalid arguments') : undefined;
        toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input, ...(invalid === undefined ? {} : { invalid }) });
      } else if (part.type === 'finish-step') {
        request.live.input = part.usage.inputTokens ?? request.live.input;
        request.live.output = part.usage.outputTokens ?? request.live.output;
        request.live.reported = part.usage.outputTokens !== undefined;
      } else if (part.type === 'error') {
        failure = part.error;
      } else if (part.type === 'abort') {
        throw request.signal.reason ?? new Error('aborted');
      }
    }
    if (request.signal.aborted) throw request.signal.reason;
    if (failure !== undefined) {
      if (APICallError.isInstance(failure) && failure.statusCode === 429 && attempt < MAX_THROTTLED_ATTEMPTS) {
        await request.gateway.throttled(failure.responseHeaders?.['retry-after']);
        continue;
      }
      throw failure;
    }
    return { text, toolCalls, usage: { input: request.live.input, output: request.live.output } };
  }
}
