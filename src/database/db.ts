import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { PG_POOL } from './pool.js';
import { RESULT_TYPES, type Statement } from './sql.js';

/** A transaction in progress, from `Db.transaction`: give it to `Db.run` to run a statement inside it. */
export interface Tx {
  /**
   * Runs `hook` once the transaction has committed, never if it rolls back: for effects outside
   * the database (forgetting cached state, waking a worker) that must not get ahead of the commit.
   */
  afterCommit(hook: () => void): void;
}

class Transaction implements Tx {
  private readonly hooks: (() => void)[] = [];
  private client: pg.PoolClient | undefined;

  constructor(client: pg.PoolClient) {
    this.client = client;
  }

  afterCommit(hook: () => void): void {
    this.hooks.push(hook);
  }

  /** The connection, while the transaction is open: a Tx kept past its end must not borrow a pooled connection. */
  connection(): pg.PoolClient {
    if (!this.client) throw new Error('this transaction has already ended');
    return this.client;
  }

  end(): void {
    this.client = undefined;
  }

  runCommitHooks(): void {
    for (const hook of this.hooks) hook();
  }
}

/**
 * The one way the app runs SQL: named statements (each table's in its `*.sql.ts`) on the shared
 * pool, or inside a transaction when given its `Tx`.
 */
@Injectable()
export class Db {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  /** The rows `statement` returns (none for a write without RETURNING), inside `tx` when given. */
  async run<Row, Params extends unknown[]>(statement: Statement<Row, Params>, params: NoInfer<Params>, tx?: Tx): Promise<Row[]> {
    const { name, text } = statement;
    const result = await this.on(tx).query<Row & pg.QueryResultRow>({ name, text, values: params, types: RESULT_TYPES });
    return result.rows;
  }

  /** The first row, or undefined when there is none. */
  async one<Row, Params extends unknown[]>(statement: Statement<Row, Params>, params: NoInfer<Params>, tx?: Tx): Promise<Row | undefined> {
    return (await this.run(statement, params, tx))[0];
  }

  /**
   * Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws (and rethrow). The `afterCommit` hooks run after COMMIT, before this resolves.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new Transaction(client);
    let broken: Error | undefined;
    let result: T;
    try {
      await client.query('BEGIN');
      result = await work(tx);
      await client.query('COMMIT');
    } catch (error) {
      // A connection that cannot even roll back is not handed to the next caller.
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    } finally {
      tx.end();
      client.release(broken);
    }
    tx.runCommitHooks();
    return result;
  }

  /**
   * Runs a library's own SQL (the job queue's insert) inside `tx`, so what it writes commits or
   * rolls back with the caller's work. The app's own statements go through `run`.
   */
  async foreign(text: string, values: unknown[] | undefined, tx: Tx): Promise<pg.QueryResultRow[]> {
    return (await this.on(tx).query<pg.QueryResultRow>(text, values)).rows;
  }

  /** One round trip to the database (the health check). */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  private on(tx: Tx | undefined): pg.Pool | pg.PoolClient {
    if (tx === undefined) return this.pool;
    if (!(tx instanceof Transaction)) throw new TypeError('not a transaction opened by Db.transaction');
    return tx.connection();
  }
}
