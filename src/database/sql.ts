/**
 * The vocabulary of the `*.sql.ts` files, where each table's statements live; `Db` runs them.
 */

export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_CHECK_VIOLATION = '23514';

/** The SQLSTATE of a statement that failed (pg's DatabaseError carries it as `code`). */
function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

type Answer = () => Error;

/** By SQLSTATE: the error to throw instead, or, by constraint name, one per constraint. */
export type PgErrorAnswers = Partial<Record<string, Answer | Partial<Record<string, Answer>>>>;

/**
 * The one place a failed statement becomes an HTTP answer: a constraint the caller expects to
 * decide a race is thrown as the error `answers` gives for its SQLSTATE (and constraint name);
 * anything else is rethrown as it is.
 */
export function rethrowAs(error: unknown, answers: PgErrorAnswers): never {
  const code = pgErrorCode(error);
  const byCode = code === undefined ? undefined : answers[code];
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  const answer = typeof byCode === 'object' ? (typeof constraint === 'string' ? byCode[constraint] : undefined) : byCode;
  throw answer ? answer() : error;
}

/**
 * SQL for a timestamptz column as the API's ISO-8601 UTC string (`2026-11-22T15:58:18.123Z`),
 * millisecond precision like JavaScript's toISOString. Every timestamp a client sees is formatted
 * here, by Postgres, never by parsing it into a Date and formatting it again.
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
