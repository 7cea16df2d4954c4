import { describe, expect, it, jest } from '@jest/globals';
import type { Db } from '../database/db.js';
import { REFUSAL_LIMITS, RefusalBuffer, type RefusalLimits } from './refusal-buffer.js';

const context = (userId: string) => ({ userId, ip: '203.0.113.1', userAgent: 'test' });

function bufferWith(limits: Partial<RefusalLimits> = {}) {
  let now = 1_000_000;
  const batches: unknown[][] = [];
  const db = {
    run: jest.fn(async (_statement: unknown, params: unknown[]) => {
      batches.push(params);
      return (params[1] as string[]).map((type) => ({ type }));
    }),
  } as unknown as Db;
  const dropped = jest.fn();
  const buffer = new RefusalBuffer(db, { written: jest.fn(), dropped }, { ...REFUSAL_LIMITS, ...limits }, () => now);
  return { buffer, batches, dropped, advance: (ms: number) => (now += ms) };
}

describe('RefusalBuffer', () => {
  it('keeps at most perAccount refusals of one account and type per window, and starts again in the next', async () => {
    const { buffer, batches, dropped, advance } = bufferWith({ perAccount: 3, windowSeconds: 60 });
    const kept = Array.from({ length: 10 }, () => buffer.add('login_failed', context('a')));
    expect(kept.filter(Boolean)).toHaveLength(3);
    expect(buffer.add('login_failed', context('b'))).toBe(true);
    expect(buffer.add('mfa_failed', context('a'))).toBe(true);
    expect(dropped).toHaveBeenCalledTimes(7);
    advance(60_000);
    expect(buffer.add('login_failed', context('a'))).toBe(true);
    await buffer.flush();
    expect(batches).toHaveLength(1);
    expect(batches[0][0]).toEqual(['a', 'a', 'a', 'b', 'a', 'a']);
  });

  it('holds at most maxPending refusals in memory, whatever the number of accounts', () => {
    const { buffer } = bufferWith({ maxPending: 5 });
    const kept = Array.from({ length: 20 }, (_, i) => buffer.add('login_failed', context(`user-${i}`)));
    expect(kept.filter(Boolean)).toHaveLength(5);
  });

  it('counts at most maxAccounts accounts in a window, so a spread flood cannot grow the counts', async () => {
    const { buffer } = bufferWith({ maxAccounts: 3 });
    const kept = Array.from({ length: 6 }, (_, i) => buffer.add('login_failed', context(`user-${i}`)));
    expect(kept).toEqual([true, true, true, false, false, false]);
    // Accounts already counted are still recorded up to their bound.
    expect(buffer.add('login_failed', context('user-0'))).toBe(true);
  });

  it('writes in batches of at most maxBatch rows', async () => {
    const { buffer, batches } = bufferWith({ maxBatch: 2 });
    for (let i = 0; i < 5; i++) buffer.add('login_failed', context(`user-${i}`));
    await buffer.flush();
    expect(batches.map((params) => (params[0] as string[]).length)).toEqual([2, 2, 1]);
  });
});
