import { jest } from '@jest/globals';
import type { Pool } from 'pg';
import { EventTypePolicy, SUBSCRIPTION_CACHE_TTL_MS } from './event-type-policy.js';

/** A pg Pool that answers with whatever `rows` holds (or fails). */
function fakePool() {
  const state = { rows: [] as unknown[], fail: false, calls: 0 };
  const query = jest.fn(async () => {
    state.calls++;
    await new Promise((resolve) => setImmediate(resolve));
    if (state.fail) throw new Error('connection refused');
    return { rows: state.rows };
  });
  const pool = { query } as unknown as Pool;
  return { pool, state };
}

describe('EventTypePolicy', () => {
  afterEach(() => jest.useRealTimers());

  it('processes every type while no list was ever set', async () => {
    const { pool } = fakePool();
    const policy = new EventTypePolicy(pool);
    expect(await policy.processes('anything')).toBe(true);
    expect((await policy.current()).version).toBe(0);
  });

  it('processes only the listed types in mode "list"', async () => {
    const { pool, state } = fakePool();
    state.rows = [{ version: '4', mode: 'list', types: ['a', 'b'] }];
    const policy = new EventTypePolicy(pool);
    expect([await policy.processes('a'), await policy.processes('b'), await policy.processes('c')]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('reads the list once per TTL, with one query for concurrent callers, and at once after invalidate()', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { pool, state } = fakePool();
    state.rows = [{ version: '1', mode: 'list', types: ['a'] }];
    const policy = new EventTypePolicy(pool);
    await Promise.all(Array.from({ length: 20 }, () => policy.processes('a')));
    expect(state.calls).toBe(1);

    state.rows = [{ version: '2', mode: 'list', types: [] }];
    jest.advanceTimersByTime(SUBSCRIPTION_CACHE_TTL_MS - 10);
    expect(await policy.processes('a')).toBe(true); // still the cached version
    jest.advanceTimersByTime(20);
    expect(await policy.processes('a')).toBe(false); // another replica's change, seen after the TTL
    expect(state.calls).toBe(2);

    state.rows = [{ version: '3', mode: 'all', types: [] }];
    policy.invalidate();
    expect(await policy.processes('a')).toBe(true);
    expect(state.calls).toBe(3);
  });

  it('keeps applying the last list it read while Postgres is unreachable, and fails without one', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    const { pool, state } = fakePool();
    state.fail = true;
    const policy = new EventTypePolicy(pool);
    await expect(policy.processes('a')).rejects.toThrow('connection refused');

    state.fail = false;
    state.rows = [{ version: '1', mode: 'list', types: ['a'] }];
    expect(await policy.processes('b')).toBe(false);
    state.fail = true;
    jest.advanceTimersByTime(SUBSCRIPTION_CACHE_TTL_MS + 1);
    expect(await policy.processes('a')).toBe(true);
    expect(await policy.processes('b')).toBe(false);
  });
});
