import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';

// The baseline of the cluster figures, written by hand on the NATS client and nothing else: what a
// careful request/reply client does (one subscription on its own inbox, a Map of pending requests
// keyed by the inbox token, not `nc.request`), and plain publishes. Payloads are 100-byte JSON.

/** Subjects the raw responder answers on, under the run's prefix. */
export const rawSubjects = (prefix: string) => ({ echo: `${prefix}.raw.echo`, sink: `${prefix}.raw.sink` });

/**
 * The answering side, on its own connection: `echo` answers each request with its JSON decoded and
 * encoded again; `sink` decodes and counts what arrives and answers only a message that asks (has a
 * reply subject) with the count so far, so a request sent after a burst returns once the burst was received.
 */
export function serveRaw(nc: NatsConnection, prefix: string): void {
  const { echo, sink } = rawSubjects(prefix);
  nc.subscribe(echo, {
    callback: (error, msg) => {
      if (error === null && msg.reply) nc.publish(msg.reply, JSON.stringify(JSON.parse(msg.string())));
    },
  });
  let received = 0;
  nc.subscribe(sink, {
    callback: (error, msg) => {
      if (error !== null || JSON.parse(msg.string()) === null) return;
      received++;
      if (msg.reply) nc.publish(msg.reply, JSON.stringify({ received }));
    },
  });
}

interface Pending {
  resolve(value: unknown): void;
}

/** The asking side: one subscription on `<inbox>.*`, each request waits in a Map under its token. */
export class RawRequester {
  private readonly inbox = createInbox();
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor(private readonly nc: NatsConnection) {
    nc.subscribe(`${this.inbox}.*`, { callback: (error, msg) => (error === null ? this.answered(msg) : undefined) });
  }

  request(subject: string, payload: unknown): Promise<unknown> {
    const token = this.next++;
    return new Promise((resolve) => {
      this.pending.set(token, { resolve });
      this.nc.publish(subject, JSON.stringify(payload), { reply: `${this.inbox}.${token}` });
    });
  }

  /** A publish that asks for no answer. */
  publish(subject: string, payload: unknown): void {
    this.nc.publish(subject, JSON.stringify(payload));
  }

  private answered(msg: Msg): void {
    const token = Number(msg.subject.slice(this.inbox.length + 1));
    const pending = this.pending.get(token);
    if (pending === undefined) return;
    this.pending.delete(token);
    pending.resolve(JSON.parse(msg.string()));
  }
}
