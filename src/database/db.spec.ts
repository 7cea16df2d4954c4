import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import type pg from 'pg';
import { Db, type Tx } from './db.js';
import { RESULT_TYPES, statement } from './sql.js';

const FIND = statement<{ id: string }, [id: string]>('find', 'SELECT id FROM t WHERE id = $1');

describe('Db', () => {
  let pool: { query: jest.Mock<(query: unknown) => Promise<unknown>>; connect: jest.Mock<() => Promise<unknown>> };
  let client: { query: jest.Mock<(query: unknown) => Promise<unknown>>; release: jest.Mock<(error?: Error) => void> };
  let db: Db;
  let log: string[];

  beforeEach(() => {
    log = [];
    client = {
      query: jest.fn(async (query: unknown) => {
        log.push(typeof query === 'string' ? query : (query as { name: string }).name);
        return { rows: [{ id: 'in-tx' }] };
      }),
      release: jest.fn(),
    };
    pool = { query: jest.fn(async () => ({ rows: [{ id: 'pooled' }] })), connect: jest.fn(async () => client) };
    db = new Db(pool as unknown as pg.Pool);
  });

  it('runs a statement by name on the pool, or on the transaction it is given', async () => {
    await expect(db.one(FIND, ['1'])).resolves.toEqual({ id: 'pooled' });
    expect(pool.query).toHaveBeenCalledWith({ name: 'find', text: FIND.text, values: ['1'], types: RESULT_TYPES });
    await expect(db.transaction((tx) => db.run(FIND, ['2'], tx))).resolves.toEqual([{ id: 'in-tx' }]);
    expect(log).toEqual(['BEGIN', 'find', 'COMMIT']);
  });

  it('runs afterCommit hooks once committed, and returns the connection to the pool', async () => {
    const forgotten: string[] = [];
    await db.transaction(async (tx) => {
      tx.afterCommit(() => forgotten.push(`after ${log.at(-1)}`));
      expect(forgotten).toEqual([]);
    });
    expect(forgotten).toEqual(['after COMMIT']);
    expect(client.release).toHaveBeenCalledWith(undefined);
  });

  it('rolls back and skips the hooks when the work throws, and rethrows', async () => {
    const failure = new Error('conflict');
    const hook = jest.fn();
    await expect(
      db.transaction(async (tx) => {
        tx.afterCommit(hook);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(log).toEqual(['BEGIN', 'ROLLBACK']);
    expect(hook).not.toHaveBeenCalled();
    expect(client.release).toHaveBeenCalledWith(undefined);
  });

  it('discards a connection that cannot roll back', async () => {
    const lost = new Error('connection lost');
    client.query.mockImplementation(async (query) => {
      if (query === 'BEGIN') return { rows: [] };
      throw lost;
    });
    await expect(db.transaction((tx) => db.run(FIND, ['1'], tx))).rejects.toBe(lost);
    expect(client.release).toHaveBeenCalledWith(lost);
  });

  it('refuses a transaction that has ended', async () => {
    let kept: Tx | undefined;
    await db.transaction(async (tx) => {
      kept = tx;
    });
    await expect(db.run(FIND, ['1'], kept)).rejects.toThrow(/ended/);
  });
});
