import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import { PG_POOL } from './pool.js';

type Runner = Pick<DataSource | EntityManager, 'query'>;

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

/**
 * The SQLSTATE of a failed statement, whether pg raised it directly (Sql) or TypeORM wrapped it
 * in a QueryFailedError.
 */
export function pgErrorCode(error: unknown): string | undefined {
  const failure = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = failure?.driverError?.code ?? failure?.code;
  return typeof code === 'string' ? code : undefined;
}

/** TypeORM's Postgres driver answers UPDATE and DELETE with `[rows, rowCount]`; this returns the rows. */
export async function modifyReturning<T>(runner: Runner, sql: string, parameters: unknown[]): Promise<T[]> {
  const [rows] = (await runner.query(sql, parameters)) as [T[], number];
  return rows;
}

/**
 * SQL for a timestamptz column as the API's ISO-8601 UTC string (`2026-11-22T15:58:18.123Z`),
 * millisecond precision like JavaScript's toISOString.
 */
export function isoUtc(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

declare const ROW: unique symbol;
declare const PARAMS: unique symbol;

/**
 * One SQL statement, run as a named (prepared) statement: each connection parses and plans it
 * once. `Row` and `Params` exist for the compiler alone: they type what `Db.run` takes and returns.
 */
export interface Statement<Row = unknown, Params extends unknown[] = unknown[]> {
  readonly name: string;
  readonly text: string;
  readonly [ROW]?: Row;
  readonly [PARAMS]?: Params;
}

/**
 * `name` must be unique across the app and always carry the same `text` (pg refuses to reuse a
 * name for another text on one connection). Label the `Params` tuple with what `$1`, `$2`... are.
 */
export function statement<Row, Params extends unknown[]>(name: string, text: string): Statement<Row, Params> {
  return { name, text };
}

/**
 * Hot-path statements straight on the pool TypeORM shares (one pool, one set of settings):
 * no query builder, no query runner per call, and each named statement is parsed and planned once
 * per connection. Transactions and everything else go through TypeORM.
 */
@Injectable()
export class Sql {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  async rows<T>(statement: Statement, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T & pg.QueryResultRow>({ ...statement, values });
    return result.rows;
  }

  async row<T>(statement: Statement, values: unknown[]): Promise<T | undefined> {
    return (await this.rows<T>(statement, values))[0];
  }
}
