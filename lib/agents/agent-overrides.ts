import type { GenServerProcess } from '../process/gen-server-process.js';
import type { ProcessType } from '../process/process-type.js';
import type { AgentOverrides } from './agent-options.interface.js';

/** @internal Where an agent instance finds the options its process was started with. */
export const AGENT_OVERRIDES = Symbol('genserver:agent-overrides');

/** The type of one agent process: each incarnation it builds carries that process's agent options. */
export function withAgentOverrides(type: ProcessType, overrides: AgentOverrides): ProcessType {
  const mark = (instance: GenServerProcess) => {
    (instance as unknown as Record<symbol, AgentOverrides>)[AGENT_OVERRIDES] = overrides;
    return instance;
  };
  return {
    ...type,
    create: (abandoned) => {
      const made = type.create(abandoned);
      return made instanceof Promise ? made.then(mark) : mark(made);
    },
  };
}
