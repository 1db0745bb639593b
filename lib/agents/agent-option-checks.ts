import { checkDuration } from '../common/duration.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { AgentModuleOptions } from './agent-options.interface.js';

/** An AI SDK language model: a model id string, or an object with `provider`, `modelId` and `doStream`. */
export function checkModel(option: string, model: unknown): void {
  if (model === undefined) return;
  if (typeof model === 'string' && model !== '') return;
  const m = model as { provider?: unknown; modelId?: unknown; doStream?: unknown } | null;
  if (m !== null && typeof m === 'object' && typeof m.provider === 'string' && typeof m.modelId === 'string' && typeof m.doStream === 'function') return;
  throw new InvalidOptionError(option, model, "an AI SDK LanguageModel (e.g. createOpenAICompatible({ … })('model-id'))");
}

/** The module's `agents` options, checked where they enter: at boot, not at the first 429. */
export function checkAgentModuleOptions(options: unknown): AgentModuleOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionError('agents', options, 'an object: { model?, prices?, maxRetryAfterMs? }');
  const { model, prices, maxRetryAfterMs, requestsPerSecond } = options as AgentModuleOptions;
  if (requestsPerSecond !== undefined) {
    if (requestsPerSecond === null || typeof requestsPerSecond !== 'object' || Array.isArray(requestsPerSecond)) throw new InvalidOptionError('agents.requestsPerSecond', requestsPerSecond, "an object: { [provider]: requests per second }");
    for (const [provider, rate] of Object.entries(requestsPerSecond)) {
      if (typeof rate !== 'number' || !(rate > 0)) throw new InvalidOptionError(`agents.requestsPerSecond.${provider}`, rate, 'a number > 0 (Infinity: no limit)');
    }
  }
  checkModel('agents.model', model);
  if (maxRetryAfterMs !== undefined) checkDuration('agents.maxRetryAfterMs', maxRetryAfterMs);
  if (prices !== undefined) {
    if (prices === null || typeof prices !== 'object' || Array.isArray(prices)) throw new InvalidOptionError('agents.prices', prices, 'an object: { [modelId]: { input, output } } (USD per million tokens)');
    for (const [id, price] of Object.entries(prices)) {
      if (price === null || typeof price !== 'object') throw new InvalidOptionError(`agents.prices.${id}`, price, 'an object: { input, output }');
      for (const key of ['input', 'output'] as const) {
        const value = (price as unknown as Record<string, unknown>)[key];
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidOptionError(`agents.prices.${id}.${key}`, value, 'a finite number ≥ 0 (USD per million tokens)');
      }
    }
  }
  return options as AgentModuleOptions;
}
