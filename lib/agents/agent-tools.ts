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

/** Every tool of an agent: its own, each provider's, then its MCP servers'; two tools of one name are a mistake. */
export function toolTable(agentName: string, owners: readonly object[], more: readonly AgentTool[] = []): Map<string, AgentTool> {
  const table = new Map<string, AgentTool>();
  for (const tools of [...owners.map(toolsOf), more]) {
    for (const tool of tools) {
      const owner = tool.owner;
      const seen = table.get(tool.name);
      if (seen !== undefined) throw new GenServerError(`agent "${agentName}" has two tools named "${tool.name}" (from ${ownerName(seen.owner)} and ${ownerName(owner)}): tool names must be unique`);
      table.set(tool.name, tool);
    }
  }
  return table;
}

function ownerName(owner: object): string {
  const server = (owner as { server?: unknown }).server;
  return typeof server === 'string' ? `MCP server "${server}"` : owner.constructor.name;
}
