import type { McpServerOptions, ToolContext } from './agent-options.interface.js';
import type { AgentTool } from './agent-tools.js';

/** The MCP servers an agent incarnation started, and the tools they offer. */
export interface McpConnection {
  readonly tools: AgentTool[];
  close(): Promise<void>;
}

/**
 * Starts each MCP server over stdio (`@modelcontextprotocol/sdk`'s client) and offers its tools
 * under their MCP names. A tool call's result is its text content (its structured content when it
 * has one); an MCP error result is thrown, so the model gets `{ error }` as for any tool.
 */
export async function connectMcp(agentName: string, servers: readonly McpServerOptions[]): Promise<McpConnection> {
  const [{ Client }, { StdioClientTransport, getDefaultEnvironment }, { jsonSchema }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@modelcontextprotocol/sdk/client/stdio.js'),
    import('ai'),
  ]);
  const clients: InstanceType<typeof Client>[] = [];
  const tools: AgentTool[] = [];
  try {
    for (const server of servers) {
      const client = new Client({ name: `nestjs-genserver agent ${agentName}`, version: '1.0.0' });
      const transport = new StdioClientTransport({ command: server.command, args: [...(server.args ?? [])], env: { ...getDefaultEnvironment(), ...(server.env ?? {}) }, stderr: 'ignore' });
      await client.connect(transport);
      clients.push(client);
      const { tools: listed } = await client.listTools();
      for (const tool of listed) {
        const owner = { server: server.name };
        tools.push({
          name: tool.name,
          options: { description: tool.description ?? tool.name, parameters: jsonSchema(tool.inputSchema as never) },
          owner,
          method: async (args: unknown, context: ToolContext) => {
            const result = await client.callTool({ name: tool.name, arguments: (args ?? {}) as Record<string, unknown> }, undefined, { signal: context.abortSignal });
            const text = ((result.content ?? []) as { type: string; text?: string }[]).filter((part) => part.type === 'text').map((part) => part.text ?? '').join('');
            if (result.isError === true) throw new Error(text || `MCP tool "${tool.name}" of "${server.name}" failed`);
            return result.structuredContent ?? text;
          },
        });
      }
    }
  } catch (error) {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    throw error;
  }
  return { tools, close: async () => void (await Promise.all(clients.map((client) => client.close().catch(() => undefined)))) };
}
