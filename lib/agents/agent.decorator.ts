import { AGENT_METADATA } from '../genserver.constants.js';
import { GenServer } from '../decorators/gen-server.decorator.js';
import { InvalidOptionError } from '../errors/invalid-option.error.js';
import type { GenServerOptions } from '../interfaces/gen-server-options.interface.js';
import type { AgentOptions } from './agent-options.interface.js';
import { checkModel } from './agent-option-checks.js';

/** The keys `@Agent` takes beyond `@GenServer`'s. */
const AGENT_KEYS = ['model', 'system', 'tools', 'mcp', 'busy', 'journal'] as const;

/** What `@Agent` records beside the `@GenServer` options. */
export type AgentMetadata = Pick<AgentOptions, (typeof AGENT_KEYS)[number]>;

/**
 * Marks a class extending `AgentProcess` as an agent: a GenServer (named ones start at boot) whose
 * turns run a language model with tools. `@Agent('support')` names it; `@Agent({ … })` takes the
 * agent options and any `@GenServer` option. List the class in a module's `providers`.
 */
export function Agent(nameOrOptions?: string | AgentOptions): ClassDecorator {
  if (nameOrOptions !== undefined && typeof nameOrOptions !== 'string' && (nameOrOptions === null || typeof nameOrOptions !== 'object' || Array.isArray(nameOrOptions))) {
    throw new InvalidOptionError('@Agent()', nameOrOptions, 'a process name or an options object');
  }
  const agent: Record<string, unknown> = {};
  const server: Record<string, unknown> = {};
  try {
    const options: AgentOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
    for (const [key, value] of Object.entries(options)) ((AGENT_KEYS as readonly string[]).includes(key) ? agent : server)[key] = value;
  } catch (error) {
    throw new InvalidOptionError('@Agent()', error, 'readable options (reading them threw)');
  }
  checkAgentOptions(agent as AgentMetadata, '@Agent()');
  const genServer = GenServer(server as GenServerOptions);
  return (target) => {
    genServer(target);
    Reflect.defineMetadata(AGENT_METADATA, agent, target);
  };
}

/** Throws `InvalidOptionError` naming `where` and the key for an agent option of the wrong shape. */
export function checkAgentOptions(options: AgentMetadata, where: string): void {
  const at = (key: string) => (where.startsWith('@') ? `${where} ${key}` : `${where}.${key}`);
  checkModel(at('model'), options.model);
  if (options.busy !== undefined && !['queue', 'reject', 'interrupt'].includes(options.busy as string)) throw new InvalidOptionError(at('busy'), options.busy, "'queue', 'reject' or 'interrupt'");
  if (options.journal !== undefined && typeof options.journal !== 'boolean') throw new InvalidOptionError(at('journal'), options.journal, 'a boolean');
  if (options.system !== undefined && typeof options.system !== 'string') throw new InvalidOptionError(at('system'), options.system, 'a string');
  if (options.tools !== undefined && (!Array.isArray(options.tools) || options.tools.some((tool) => typeof tool !== 'function'))) throw new InvalidOptionError(at('tools'), options.tools, 'an array of provider classes');
  if (options.mcp !== undefined) {
    if (!Array.isArray(options.mcp)) throw new InvalidOptionError(at('mcp'), options.mcp, 'an array of { name, command, args?, env? }');
    options.mcp.forEach((server, i) => {
      if (server === null || typeof server !== 'object' || typeof server.name !== 'string' || server.name === '' || typeof server.command !== 'string' || server.command === '') {
        throw new InvalidOptionError(at(`mcp[${i}]`), server, 'an object with a non-empty name and command');
      }
    });
  }
}
