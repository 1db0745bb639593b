import { didYouMean, editDistance, toSnakeCase } from '../../lib/topology/did-you-mean.js';

describe('didYouMean', () => {
  const supervisorKeys = ['name', 'restart', 'max_restarts', 'within_ms', 'backoff', 'heartbeat_ms', 'state_store', 'strategy', 'children'];

  it.each([
    ['maxRestarts', 'max_restarts'],
    ['MaxRestarts', 'max_restarts'],
    ['max-restarts', 'max_restarts'],
    ['stateStore', 'state_store'],
    ['within', 'within_ms'],
    ['heartbeat', 'heartbeat_ms'],
    ['restarts', 'restart'],
    ['stratgey', 'strategy'],
    ['chidlren', 'children'],
    ['nmae', 'name'],
  ])('%s → %s', (typo, meant) => {
    expect(didYouMean(typo, supervisorKeys)).toBe(meant);
  });

  it.each(['colour', 'x', 'workers', 'a'.repeat(65)])('%s → nothing', (key) => {
    expect(didYouMean(key, supervisorKeys)).toBeUndefined();
  });

  it('spells camelCase as snake_case', () => {
    expect(toSnakeCase('handlerTimeoutMs')).toBe('handler_timeout_ms');
    expect(toSnakeCase('heartbeatMS')).toBe('heartbeat_ms');
  });

  it('counts an adjacent swap as one edit', () => {
    expect(editDistance('stratgey', 'strategy')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
