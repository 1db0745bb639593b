import { TOOL_METADATA } from '../genserver.constants.js';
import { methodNamesOf } from '../discovery/handlers-of.js';
import { GenServerError } from '../errors/genserver.error.js';
import type { ToolContext, ToolOptions } from './agent-options.interface.js';

/** A tool the agent offers: what the model is told, and the method (on its owner) that runs it. */
export interface AgentTool {
  readonly name: string;
  readonly options: ToolOptions;
  readonly owner: object;
  readonly method: (args: unknown, context: ToolContext) => unknown;
}

/** The `@Tool` methods of `owner` (an agent or a tool provider), by name. */
export function toolsOf(owner: object): AgentTool[] {
  const tools: AgentTool[] = [];
  const prototype = Object.getPrototypeOf(owner) as Record<string, unknown>;
  for (const name of methodNamesOf(prototype)) {
    const method = prototype[name] as AgentTool['method'];
    const options: ToolOptions | undefined = Reflect.getMetadata(TOOL_METADATA, method);
    if (options !== undefined) tools.push({ name, options, owner, method });
  }
  return tools;
}

/** Every tool of an agent: its own, then each provider's; two tools of one name are a mistake. */
export function toolTable(agentName: string, owners: readonly object[]): Map<string, AgentTool> {
  const table = new Map<string, AgentTool>();
  for (const owner of owners) {
    for (const tool of toolsOf(owner)) {
      const seen = table.get(tool.name);
      if (seen !== undefined) throw new GenServerError(`agent "${agentName}" has two tools named "${tool.name}" (on ${seen.owner.constructor.name} and ${owner.constructor.name}): tool names must be unique`);
      table.set(tool.name, tool);
    }
  }
  return table;
}
