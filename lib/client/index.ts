export type {
  GenServerClient,
  ClientMessageName,
  ClientPayload,
  ClientReply,
  ClientCallArgs,
  ClientCastArgs,
  EmptyPayload,
} from './gen-server-client.js';
export { InjectGenServer } from './inject-gen-server.decorator.js';
export { getGenServerClientToken } from './client-token.js';
