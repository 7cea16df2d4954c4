/**
 * The vocabulary of the `*.sql.ts` files, where each table's statements live; `Db` runs them.
 */
import pg from 'pg';

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
 * SQL for a timestamptz column as the API shows it: the instant in UTC as a `timestamp` (without
 * time zone), which `Db` reads into ISO-8601 UTC text with millisecond precision like JavaScript's
 * toISOString (`2026-11-22T15:58:18.123Z`, utcText below), never into a Date to format again. No
 * column of the schema is a `timestamp` without time zone, so that type in a result is always this.
 * Not `to_char` in SQL: it cost ~1.5 µs of Postgres CPU per value (docs/PERFORMANCE.md), the part
 * that does not scale out, where Postgres's own output of the value is nearly free.
 */
export function isoUtc(column: string): string {
  return `(${column} AT TIME ZONE 'UTC')`;
}

/**
 * SQL for a timestamptz column as the API's text (`2026-11-22T15:58:18.123Z`, truncated to the
 * millisecond as utcText does), for a document Postgres renders whole (`row_to_json`), where no row
 * reaches Node to be sliced. `to_char` costs Postgres more than isoUtc, but for the two or three of
 * a profile it was lost in the per-statement cost (docs/PERFORMANCE.md).
 */
export function isoUtcText(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** SQL for a timestamptz column in UTC to the microsecond, as text: `exactUtcText` makes it ISO. */
export function exactUtc(column: string): string {
  return `(${column} AT TIME ZONE 'UTC')::text`;
}

/** Postgres's oid of `timestamp` (without time zone). */
const TIMESTAMP_OID = 1114;
/** The connection setting the texts below are in (`createPool` sets it): `2026-11-22 15:58:18.123456`. */
export const DATE_STYLE = 'ISO, MDY';

/** Throws unless `text` is a `timestamp` as DATE_STYLE prints it, its fraction's trailing zeros dropped. */
function checkTimestamp(text: string): void {
  const last = text.charCodeAt(text.length - 1);
  const wellFormed =
    text.charCodeAt(4) === 0x2d &&
    text.charCodeAt(10) === 0x20 &&
    last >= 0x30 &&
    last <= 0x39 &&
    (text.length === 19 || (text.length <= 26 && text.charCodeAt(19) === 0x2e));
  // Four-digit years AD, which every stored instant has (dueAt is validated to 0001–9999).
  if (!wellFormed) throw new Error(`unexpected timestamp text "${text}": is the connection's DateStyle ${DATE_STYLE}?`);
}

/** What completes `2026-11-22T15:58:18`, `…18.`, `…18.1`, `…18.12` or `…18.123` to milliseconds, by length - 19. */
const TO_MILLISECONDS = ['.000Z', '', '00Z', '0Z', 'Z'];

/**
 * `2026-11-22 15:58:18.1234` (a `timestamp` in UTC) → `2026-11-22T15:58:18.123Z`: truncated, as
 * to_char's MS was. Run for every timestamp of every listed todo: slices, no pattern, no Date.
 */
export function utcText(text: string): string {
  checkTimestamp(text);
  const end = Math.min(text.length, 23);
  return text.slice(0, 10) + 'T' + text.slice(11, end) + TO_MILLISECONDS[end - 19];
}

/** `2026-11-22 15:58:18.1234` → `2026-11-22T15:58:18.123400Z`: the exact instant, for a cursor. */
export function exactUtcText(text: string): string {
  checkTimestamp(text);
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${text.slice(20).padEnd(6, '0')}Z`;
}

type Parser = (text: string) => unknown;
const pgParser = pg.types.getTypeParser as (oid: number, format?: 'text' | 'binary') => Parser;

/** How `Db` reads results: pg's parsers, but `timestamp` (only ever isoUtc's) as utcText. */
export const RESULT_TYPES: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): Parser =>
    oid === TIMESTAMP_OID && format !== 'binary' ? utcText : pgParser(oid, format),
};

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
 * The text is kept on one line: while tracing is on it is copied into every traced query's span
 * (`db.query.text`), exported and shown, where line breaks and indentation were 8 % of the bytes
 * and broke the one-line display. So no `--` comments (they would swallow the rest of the line).
 */
export function statement<Row, Params extends unknown[]>(name: string, text: string): Statement<Row, Params> {
  if (text.includes('--')) throw new Error(`statement ${name}: no -- comments in SQL text (it is folded onto one line)`);
  return { name, text: text.replace(/\s*\n\s*/g, ' ').trim() };
}
