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
  if (typeof options.description !== 'string' || options.description === '') throw new InvalidOptionError('@Tool() description', options.description, 'a non-empty string');
  if (options.parameters === null || typeof options.parameters !== 'object') throw new InvalidOptionError('@Tool() parameters', options.parameters, 'a schema (a zod object schema)');
  if (options.needsApproval !== undefined && typeof options.needsApproval !== 'boolean') throw new InvalidOptionError('@Tool() needsApproval', options.needsApproval, 'a boolean');
  return (_target, _property, descriptor) => {
    Reflect.defineMetadata(TOOL_METADATA, { ...options }, descriptor.value as object);
    return descriptor;
  };
}
