import { describeNonPlainData, describeNonPlainDataDeep } from '../../lib/runtime/plain-data.js';

// What may leave the Node.js process as a payload or reply (#10, guarantee 7): checked at every depth,
// naming the path of what is not plain data.

describe('describeNonPlainDataDeep', () => {
  it('accepts plain data at any depth, shared references included', () => {
    const shared = { id: 1 };
    const value = { a: [1, 'two', null, { b: true, at: new Date(0), bytes: new Uint8Array(2) }], left: shared, right: shared, bare: Object.create(null) };
    expect(describeNonPlainDataDeep(value)).toBeUndefined();
  });

  it.each([
    [{ items: [1, 2, { run: () => 1 }] }, 'at $.items[2].run: a function'],
    [{ lookup: new Map() }, 'at $.lookup: an instance of Map'],
    [{ 'odd key': { when: Promise.resolve() } }, 'at $["odd key"].when: a promise'],
    [{ deep: { [Symbol('k')]: 1 } }, 'at $.deep: a symbol-keyed property'],
    [{ deep: Object.defineProperty({}, 'hidden', { value: 1, enumerable: false }) }, 'at $.deep: a non-enumerable property'],
    [{ tag: Symbol('x') }, 'at $.tag: a symbol'],
    [[new (class Point {})()], 'at $[0]: an instance of Point'],
  ])('names the path of what is not plain data: %#', (value, expected) => {
    expect(describeNonPlainData(value)).toBeUndefined(); // the top level alone looks fine
    expect(describeNonPlainDataDeep(value)).toBe(expected);
  });

  it('takes bigints as plain data: the wire (V8 structured clone) carries them', () => {
    expect(describeNonPlainDataDeep({ deep: { big: 10n } })).toBeUndefined();
  });

  it('names a cycle and where it leads back to', () => {
    const node: Record<string, unknown> = { name: 'a', child: { name: 'b' } };
    (node.child as Record<string, unknown>).parent = node;
    expect(describeNonPlainDataDeep(node)).toBe('at $.child.parent: a cycle (back to $)');
  });

  it('never throws on values that cannot be read', () => {
    const value = { ok: 1, get broken(): never { throw new Error('getter'); } };
    expect(describeNonPlainDataDeep(value)).toBe('at $.broken: a value that cannot be read');
    expect(describeNonPlainDataDeep({ p: new Proxy({}, { ownKeys() { throw new Error('trap'); } }) })).toBe('at $.p: a value that cannot be inspected');
  });

  it('gives up on an enormous value with a clear reason rather than walking it all', () => {
    expect(describeNonPlainDataDeep({ list: new Array(200_000).fill(0) })).toMatch(/more than 100000 values/);
  });
});
