import {
  CallTimeoutError,
  InvalidPayloadError,
  MailboxFullError,
  NoSuchProcessError,
  ProcessCrashedError,
  StaleEpochError,
  TopologyError,
  UnhandledMessageError,
} from 'nestjs-genserver';
import { decodeError, encodeError } from '../../lib/cluster/error-codec.js';

// #10 groundwork: remote errors arrive as the same classes with the same fields.

const overTheWire = (error: unknown) => decodeError(JSON.parse(JSON.stringify(encodeError(error))));

describe('error codec', () => {
  it.each([
    new CallTimeoutError('counter', 50),
    new NoSuchProcessError('nobody'),
    new MailboxFullError('busy', 10),
    new UnhandledMessageError('p', 'call', 'what'),
    new InvalidPayloadError('p', 'payload', 'go', 'a function'),
    new StaleEpochError('p', 3, 7),
    new TopologyError('topology.yaml', [{ path: 'genserver.supervision', line: 3, column: 5, message: 'bad' }]),
  ])('brings %s back as the same class, message and fields', (error) => {
    const copy = overTheWire(error);
    expect(copy).toBeInstanceOf(error.constructor);
    expect(copy.message).toBe(error.message);
    expect(copy.name).toBe(error.name);
    expect({ ...copy }).toEqual({ ...error });
  });

  it('keeps the cause a handler threw, as a plain Error of its name and message', () => {
    const thrown = new RangeError('out of range');
    const copy = overTheWire(new ProcessCrashedError('worker', 'work', thrown)) as ProcessCrashedError;
    expect(copy).toBeInstanceOf(ProcessCrashedError);
    expect(copy).toMatchObject({ process: 'worker', messageType: 'work' });
    expect(copy.cause).toBeInstanceOf(Error);
    expect(copy.cause).toMatchObject({ name: 'RangeError', message: 'out of range' });
  });

  it('sends anything else as its description, never something that cannot cross the wire', () => {
    expect(overTheWire(Object.create(null))).toMatchObject({ name: 'Error', message: 'null-prototype object {}' });
    const odd = Object.assign(new Error('odd'), { handle: () => 1, bag: new Map([[1, 2]]) });
    const copy = overTheWire(odd) as Error & { handle: unknown; bag: unknown };
    expect(typeof copy.handle).toBe('string');
    expect(typeof copy.bag).toBe('string');
  });

  it('never throws on an error whose fields throw when read', () => {
    const hostile = Object.defineProperty(new Error('hostile'), 'detail', { enumerable: true, get() { throw new Error('getter'); } });
    expect(overTheWire(hostile)).toMatchObject({ name: 'Error', message: 'hostile' });
    expect(overTheWire(new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } }))).toMatchObject({ name: 'Error' });
  });
});
