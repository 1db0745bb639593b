import { context, metrics, SpanKind, SpanStatusCode, trace, type Attributes, type Counter, type Histogram, type Meter, type MeterProvider, type Span } from '@opentelemetry/api';
import type { LanguageModel } from 'ai';
import type { TokenUsage } from './agent-options.interface.js';

const SCOPE = 'nestjs-genserver';

/** The model as OpenTelemetry's GenAI conventions name it: provider and model id. */
export function modelAttributes(model: LanguageModel): Attributes {
  return typeof model === 'string' ? { 'gen_ai.request.model': model } : { 'gen_ai.provider.name': model.provider, 'gen_ai.request.model': model.modelId };
}

interface Instruments {
  readonly tokens: Histogram;
  readonly duration: Histogram;
  readonly cost: Counter;
  readonly toolCalls: Counter;
  readonly errors: Counter;
}

let instruments: { provider: MeterProvider; made: Instruments } | null = null;

/** Made again when a meter provider is registered (the API hands out no-op meters before). */
function meter(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider !== provider) {
    const m: Meter = provider.getMeter(SCOPE);
    instruments = {
      provider,
      made: {
        tokens: m.createHistogram('gen_ai.client.token.usage', { unit: '{token}', description: 'Tokens used per model request' }),
        duration: m.createHistogram('gen_ai.client.operation.duration', { unit: 's', description: 'Duration of model requests' }),
        cost: m.createCounter('genserver.agent.cost', { unit: 'USD', description: 'Cost of model requests, from the module prices' }),
        toolCalls: m.createCounter('genserver.agent.tool_calls', { description: 'Tool calls agents ran' }),
        errors: m.createCounter('genserver.agent.errors', { description: 'Tool calls that threw and model requests that failed for good' }),
      },
    };
  }
  return instruments.made;
}

/**
 * Spans and metrics of agents, after OpenTelemetry's GenAI semantic conventions: an `invoke_agent`
 * span per task (a child of the span the task arrived in), a `chat` span per model step and an
 * `execute_tool` span per tool call under it; token usage and request duration histograms; and
 * counters of cost, tool calls and errors. Without an SDK all of it is the API's no-op.
 */
export const agentTelemetry = {
  invoke(agent: string, taskId: string, model: LanguageModel): Span {
    return trace.getTracer(SCOPE).startSpan(`invoke_agent ${agent}`, {
      kind: SpanKind.INTERNAL,
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': agent, 'genserver.agent.task_id': taskId, ...modelAttributes(model) },
    });
  },

  chat(parent: Span, model: LanguageModel): Span {
    const name = typeof model === 'string' ? model : model.modelId;
    return trace.getTracer(SCOPE).startSpan(`chat ${name}`, { kind: SpanKind.CLIENT, attributes: { 'gen_ai.operation.name': 'chat', ...modelAttributes(model) } }, trace.setSpan(context.active(), parent));
  },

  tool(parent: Span, name: string, toolCallId: string): Span {
    return trace.getTracer(SCOPE).startSpan(`execute_tool ${name}`, {
      kind: SpanKind.INTERNAL,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.id': toolCallId, 'gen_ai.tool.type': 'function' },
    }, trace.setSpan(context.active(), parent));
  },

  /** A model step ended: its span gets the usage, the histograms a point each. */
  stepEnded(span: Span, model: LanguageModel, usage: TokenUsage, cost: number, startedAt: number, error?: unknown): void {
    span.setAttributes({ 'gen_ai.usage.input_tokens': usage.input, 'gen_ai.usage.output_tokens': usage.output });
    end(span, error);
    const attributes = { 'gen_ai.operation.name': 'chat', ...modelAttributes(model) };
    const made = meter();
    made.tokens.record(usage.input, { ...attributes, 'gen_ai.token.type': 'input' });
    made.tokens.record(usage.output, { ...attributes, 'gen_ai.token.type': 'output' });
    made.duration.record((performance.now() - startedAt) / 1000, error === undefined ? attributes : { ...attributes, 'error.type': errorType(error) });
    if (cost > 0) made.cost.add(cost, attributes);
    if (error !== undefined && !isAbort(error)) made.errors.add(1, { 'genserver.agent.error': 'model' });
  },

  toolEnded(span: Span, name: string, error?: unknown): void {
    end(span, error);
    const made = meter();
    made.toolCalls.add(1, { 'gen_ai.tool.name': name });
    if (error !== undefined) made.errors.add(1, { 'genserver.agent.error': 'tool', 'gen_ai.tool.name': name });
  },

  /** A task ended: done (with its usage), or with `error` (cancelled, the model failed, stopped). */
  taskEnded(span: Span, usage: TokenUsage, error?: unknown): void {
    span.setAttributes({ 'gen_ai.usage.input_tokens': usage.input, 'gen_ai.usage.output_tokens': usage.output });
    end(span, error);
  },
};

function end(span: Span, error: unknown): void {
  if (error !== undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    span.setAttribute('error.type', errorType(error));
  }
  span.end();
}

function errorType(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TaskCancelledError');
}
