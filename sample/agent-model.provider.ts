import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModel } from 'ai';
import { startFakeModelServer, type FakeModelServer } from '../test/support/fake-model-server.js';
import { supportScript } from './support-model.script.js';

/**
 * The language model the sample's agents use. With OPENAI_BASE_URL set: that OpenAI-compatible
 * endpoint (OPENAI_API_KEY, OPENAI_MODEL, default gpt-4o-mini). Without it: a scripted model server
 * on 127.0.0.1 that speaks the same HTTP API, so `npm start` needs no key; it closes with the app.
 */
export class AgentModel implements OnApplicationShutdown {
  private constructor(
    readonly model: LanguageModel,
    /** Where the model is served, for the logs. */
    readonly baseURL: string,
    private readonly local?: FakeModelServer,
  ) {}

  static async create(env: NodeJS.ProcessEnv = process.env): Promise<AgentModel> {
    const baseURL = env.OPENAI_BASE_URL;
    if (baseURL) {
      const model = createOpenAICompatible({ name: 'openai', baseURL, apiKey: env.OPENAI_API_KEY, includeUsage: true })(env.OPENAI_MODEL ?? 'gpt-4o-mini');
      return new AgentModel(model, baseURL);
    }
    const server = await startFakeModelServer();
    const script = supportScript();
    server.script((request, index) => {
      // The server keeps every request for tests to read; a long-running sample has no use for them.
      server.requests.length = 0;
      return script(request, index);
    });
    Logger.log(`Agents use the local scripted model at ${server.url} (set OPENAI_BASE_URL for a real one)`, 'Sample');
    return new AgentModel(createOpenAICompatible({ name: 'local', baseURL: server.url, includeUsage: true })('support-script'), server.url, server);
  }

  /** After the agents have stopped (beforeApplicationShutdown), so no turn loses its model mid-stream. */
  async onApplicationShutdown(): Promise<void> {
    await this.local?.close();
  }
}
