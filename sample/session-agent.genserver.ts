import { GenServer, GenServerProcess, HandleCall } from 'nestjs-genserver';

export interface SayReply {
  reply: string;
  turns: number;
}

/**
 * One process per chat session, started at run time under the `sessions` dynamic supervisor,
 * whose state store checkpoints its history after every message. A message that breaks it
 * ("crash") crashes only this session: it restarts from its last checkpoint — the history so far,
 * without the message that crashed it — and the other sessions never notice.
 */
@GenServer({ type: 'session' })
export class SessionAgent extends GenServerProcess<{ id: string; history: string[] }> {
  override init(args: { id: string }, restored?: { id: string; history: string[] }) {
    this.state = restored ?? { id: args.id, history: [] };
  }

  @HandleCall('say')
  say(msg: { type: 'say'; text: string }): SayReply {
    if (msg.text === 'crash') throw new Error(`session ${this.state.id} was told to crash`);
    this.state.history.push(msg.text);
    return { reply: `session ${this.state.id} heard "${msg.text}"`, turns: this.state.history.length };
  }
}
