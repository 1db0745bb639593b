import { TOOL_METADATA } from '../genserver.constants.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { ToolOptions } from './agent-options.interface.js';

/**
 * Offers a method to the model as a tool named after the method: on an agent class (`this` is the
 * agent) or on a provider listed in `@Agent({ tools })`. The method gets `(args, { toolCallId,
 * abortSignal })` and returns plain data, sync or async; what it throws is sent to the model as
 * `{ error: message }`. `needsApproval` parks the turn until an `approve`/`deny` message answers it.
 */
export function Tool(options: ToolOptions): MethodDecorator {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('@Tool()', options, 'an object { description, parameters, needsApproval? }');
  let read: ToolOptions;
  try {
    read = { description: options.description, parameters: options.parameters, needsApproval: options.needsApproval };
  } catch (error) {
    throw new InvalidOptionError('@Tool()', error, 'readable options (reading them threw)');
  }
  if (typeof read.description !== 'string' || read.description === '') throw new InvalidOptionError('@Tool() description', read.description, 'a non-empty string');
  if (!isSchema(read.parameters)) throw new InvalidOptionError('@Tool() parameters', read.parameters, "a schema: a zod object schema, or the AI SDK's jsonSchema(…)");
  if (read.needsApproval !== undefined && typeof read.needsApproval !== 'boolean') throw new InvalidOptionError('@Tool() needsApproval', read.needsApproval, 'a boolean');
  return (_target, property, descriptor) => {
    if (typeof descriptor?.value !== 'function') throw new InvalidOptionError('@Tool() target', String(property), 'a method (not a getter, setter or field)');
    Reflect.defineMetadata(TOOL_METADATA, read, descriptor.value as object);
    return descriptor;
  };
}

/** A Standard Schema (zod and others), or a schema the AI SDK made (`jsonSchema`, `zodSchema`). */
function isSchema(value: unknown): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  const schema = value as Record<string | symbol, unknown>;
  return '~standard' in schema || Symbol.for('vercel.ai.schema') in schema;
}
