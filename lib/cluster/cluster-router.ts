import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { describeCause, stackOf } from '../errors/describe-value.js';
import { kvKey } from '../common/kv-key.js';
import { InvalidPayloadError } from '../errors/invalid-payload.error.js';
import { NoSuchProcessError } from '../errors/no-such-process.error.js';
import { ProcessCrashedError } from '../errors/process-crashed.error.js';
import { ProcessStoppedError } from '../errors/process-stopped.error.js';
import { GenServerError } from '../errors/genserver.error.js';
import { MessageEnvelope, type Envelope } from '../process/envelope.js';
import type { From } from '../process/from.js';
import { describeNonPlainDataDeep } from '../runtime/plain-data.js';
import type { PendingCall, PendingCalls } from '../runtime/pending-calls.js';
import type { Router } from '../runtime/router.js';
import { fromW3C, toW3C } from '../telemetry/trace-carrier.js';
import { RemoteFrom, isRemoteFrom } from '../process/remote-from.js';
import { blockedChain } from '../runtime/call-chain.js';
import { decodeAnswer, decodeMessage, encodeAnswer, encodeMessage, type WireMessage } from './wire-codec.js';

/** A process this node may deliver to. */
export interface RoutableCell {
  accept(envelope: Envelope): GenServerError | undefined;
  /** Whether this node serves it now: a node-local process, or a cluster-wide one whose lease is live. */
  readonly servesHere: boolean;
}

/** What the router needs from the runtime around it. */
export interface RouterHost {
  lookup(name: string): RoutableCell | undefined;
  readonly calls: PendingCalls;
  nextMessageId(): number;
  /** How long a cast waits for the owner's "accepted" before it rejects with `CallTimeoutError`. */
  readonly castAckTimeout: number;
  /** The node that owns `name`, as far as this node knows. */
  ownerNode(name: string): string | undefined;
}

/** A call or cast sent to another node and not answered yet. */
interface InFlight {
  readonly call: PendingCall;
  node: string | undefined;
  readonly type: string | undefined;
}

/** A send waiting for a free in-flight slot (FIFO, so casts keep their order). */
interface Queued {
  readonly subject: string;
  readonly bytes: Uint8Array;
  readonly flight: InFlight;
}

const NO_RESPONDERS = 503;

/**
 * Routes between nodes over NATS. A process this node serves is reached in-process, exactly as
 * without a cluster; any other name is published on its subject (`<prefix>.p.<name>`), which only
 * the owner of the name subscribes. Answers (replies, errors, cast acceptances) come back on one
 * inbox subscription per node, matched to the waiting call by its reference: one subscription and
 * a map, as a hand-written NATS request/reply client would do. NATS's "no responders" status is how
 * an unknown name is known at once.
 */
export class ClusterRouter implements Router {
  private readonly inFlight = new Map<number, InFlight>();
  private readonly queue: Queued[] = [];
  private readonly inbox: string;
  private readonly inboxSub: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private nextRemoteRef = 1;

  constructor(
    private readonly nc: NatsConnection,
    private readonly host: RouterHost,
    private readonly prefix: string,
    private readonly maxInFlight: number,
    inbox: string,
  ) {
    this.inbox = inbox;
    this.inboxSub = nc.subscribe(`${inbox}.*`, { callback: guarded((msg) => this.answered(msg)) });
    // Calls that timed out locally free their slot here (their owner may never answer).
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  /** The subject a cluster-wide name is served on. */
  subjectOf(name: string): string {
    return `${this.prefix}.p.${kvKey(name)}`;
  }

  route(envelope: Envelope): GenServerError | undefined | Promise<void> {
    const cell = this.host.lookup(envelope.to);
    // Timers and DOWN messages belong to a local incarnation: they never travel.
    if (cell !== undefined && (envelope.kind === 'info' || cell.servesHere)) return cell.accept(envelope);
    if (envelope.kind === 'info') return new NoSuchProcessError(envelope.to);
    return this.send(envelope);
  }

  settle(from: From, ok: boolean, value: unknown): void {
    if (!isRemoteFrom(from)) {
      if (ok) this.host.calls.resolve(from, value);
      else this.host.calls.reject(from, value);
      return;
    }
    if (from.settled) return;
    from.settled = true;
    from.owedIn?.delete(from);
    this.answer(from.replyTo, from.to, ok, value, undefined);
  }

  /** Serves a name owned here: what arrives on its subject is put in `name`'s mailbox. */
  serve(name: string): Subscription {
    return this.nc.subscribe(this.subjectOf(name), { callback: guarded((msg) => this.deliver(name, msg)) });
  }

  /** Calls in flight to `node` fail at once: it is down (`ProcessCrashedError`, reason `nodedown`). */
  nodeDown(node: string): void {
    for (const [ref, flight] of this.inFlight) {
      if (flight.node !== node) continue;
      this.inFlight.delete(ref);
      this.host.calls.reject(flight.call, new ProcessCrashedError(flight.call.to, flight.type, 'nodedown'));
    }
    this.pump();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.inboxSub.unsubscribe();
  }

  // ---- sending ----

  private send(envelope: Envelope): GenServerError | undefined | Promise<void> {
    const { to, type } = envelope;
    const found = describeNonPlainDataDeep(envelope.payload);
    if (found !== undefined) return new InvalidPayloadError(to, 'payload', type, found);
    const calls = this.host.calls;
    const isCall = envelope.kind === 'call';
    const call = isCall ? (envelope.from as PendingCall) : calls.create(to, this.host.castAckTimeout, null, null, null);
    const message: WireMessage = {
      kind: isCall ? 'call' : 'cast',
      to,
      type,
      payload: envelope.payload,
      waitMs: isCall ? (envelope.deadline === undefined ? -1 : Math.max(0, envelope.deadline - Date.now())) : -1,
      caller: call.caller,
      chain: isCall && call.caller !== null && call.waiting ? blockedChain(call.caller, call.during) : [],
      trace: envelope.trace === undefined ? undefined : toW3C(envelope.trace),
    };
    let bytes: Uint8Array;
    try {
      bytes = encodeMessage(message);
    } catch (error) {
      return new InvalidPayloadError(to, 'payload', type, `a value the wire cannot carry (${describeCause(error)})`);
    }
    const max = this.nc.info?.max_payload;
    if (max !== undefined && bytes.length > max) return new InvalidPayloadError(to, 'payload', type, '', { bytes: bytes.length, maxBytes: max });
    const flight: InFlight = { call, node: this.host.ownerNode(to), type };
    if (!isCall) calls.track(call);
    this.enqueue({ subject: this.subjectOf(to), bytes, flight });
    return isCall ? undefined : (call.promise as Promise<void>);
  }

  private enqueue(queued: Queued): void {
    if (this.queue.length === 0 && this.inFlight.size < this.maxInFlight) this.publish(queued);
    else this.queue.push(queued);
  }

  private publish({ subject, bytes, flight }: Queued): void {
    // A call that timed out while it waited for a slot is not sent at all.
    if (flight.call.settled) return;
    const ref = this.nextRemoteRef++;
    this.inFlight.set(ref, flight);
    try {
      this.nc.publish(subject, bytes, { reply: `${this.inbox}.${ref}` });
    } catch (error) {
      this.inFlight.delete(ref);
      this.host.calls.reject(flight.call, new ProcessCrashedError(flight.call.to, flight.type, error));
    }
  }

  private pump(): void {
    while (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) this.publish(this.queue.shift()!);
  }

  private answered(msg: Msg): void {
    const ref = Number(msg.subject.slice(this.inbox.length + 1));
    const flight = this.inFlight.get(ref);
    if (flight === undefined) return; // answered, failed or swept already
    this.inFlight.delete(ref);
    const calls = this.host.calls;
    if (msg.headers?.code === NO_RESPONDERS) calls.reject(flight.call, this.unreachable(flight.call.to));
    else {
      const answer = decodeAnswer(msg.data);
      if (answer === undefined) calls.reject(flight.call, new ProcessCrashedError(flight.call.to, flight.type, 'an answer this node cannot read'));
      else if (answer.ok) calls.resolve(flight.call, answer.value);
      else calls.reject(flight.call, answer.value);
    }
    this.pump();
  }

  /**
   * No node serves the name: unknown (`NoSuchProcessError`), or known but between owners — its node
   * is gone and its lease not ended yet — which a caller should retry (`ProcessStoppedError`).
   */
  private unreachable(name: string): GenServerError {
    const known = this.host.lookup(name) !== undefined || this.host.ownerNode(name) !== undefined;
    return known ? new ProcessStoppedError(name, 'no node serves it right now: it is failing over (its node is gone; another takes it over when the lease ends) or was just stopped') : new NoSuchProcessError(name);
  }

  private sweep(): void {
    for (const [ref, flight] of this.inFlight) {
      if (flight.call.settled) this.inFlight.delete(ref);
      // Sent before this node knew the owner: learn it now, so that its node's loss fails the call.
      else if (flight.node === undefined) flight.node = this.host.ownerNode(flight.call.to);
    }
    this.pump();
  }

  // ---- receiving ----

  private deliver(name: string, msg: Msg): void {
    const replyTo = msg.reply;
    const message = decodeMessage(msg.data);
    if (message === undefined) {
      if (replyTo) this.answer(replyTo, name, false, new GenServerError(`a message for process "${name}" could not be read`), undefined);
      return;
    }
    const cell = this.host.lookup(name);
    // Fenced, or moved away since the subscription was made: the node that owns the name now (also
    // subscribed) answers; a second answer from here could only contradict it.
    if (cell === undefined || !cell.servesHere) return;
    const trace = message.trace === undefined ? undefined : fromW3C(message.trace);
    const isCall = message.kind === 'call';
    const deadline = message.waitMs < 0 ? Infinity : Date.now() + message.waitMs;
    const from = isCall && replyTo ? new RemoteFrom(this.nextRemoteRef++, message.caller, name, replyTo, [...message.chain], deadline) : null;
    const envelope = new MessageEnvelope(this.host.nextMessageId(), isCall && from ? 'call' : 'cast', name, from, message.type, message.payload, deadline === Infinity ? undefined : deadline, undefined, trace);
    const refused = cell.accept(envelope);
    if (refused !== undefined) {
      if (from) from.settled = true;
      if (replyTo) this.answer(replyTo, name, false, refused, message.type);
    } else if (!isCall && replyTo) {
      this.answer(replyTo, name, true, undefined, undefined);
    }
  }

  /** Publishes an answer; a reply that cannot cross the wire is answered with the reason instead. */
  private answer(replyTo: string, to: string, ok: boolean, value: unknown, type: string | undefined): void {
    if (ok) {
      const found = describeNonPlainDataDeep(value);
      if (found !== undefined) return this.answer(replyTo, to, false, new InvalidPayloadError(to, 'reply', type, found), type);
    }
    const max = this.nc.info?.max_payload ?? Infinity;
    let bytes: Uint8Array;
    try {
      // An error too large to cross goes brief (same class, message clipped): never a different error.
      bytes = encodeAnswer(ok, value, max - 1024);
    } catch (error) {
      return this.answer(replyTo, to, false, new InvalidPayloadError(to, 'reply', type, `a value the wire cannot carry (${describeCause(error)})`), type);
    }
    if (ok && bytes.length > max) return this.answer(replyTo, to, false, new InvalidPayloadError(to, 'reply', type, '', { bytes: bytes.length, maxBytes: max }), type);
    try {
      this.nc.publish(replyTo, bytes);
    } catch {
      // The connection is closed: the caller's deadline (or node-down) answers it.
    }
  }
}

/**
 * A subscription callback that can never break the connection's reader: nats.js stops reading a
 * connection whose callback throws, so a malformed message from a peer (or a defect here) is logged
 * and dropped instead.
 */
export function guarded(handle: (msg: Msg) => void): (error: Error | null, msg: Msg) => void {
  return (error, msg) => {
    if (error !== null) return;
    try {
      handle(msg);
    } catch (failure) {
      Logger.error(`a message on ${msg.subject} could not be handled: ${describeCause(failure)}`, stackOf(failure), 'GenServerCluster');
    }
  };
}
