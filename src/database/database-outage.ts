import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Db } from './db.js';

/** Seconds a client is told to wait (Retry-After) while the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;
const PROBE_INTERVAL_MS = 1_000;

/**
 * Errors that mean "the database cannot be reached right now", not "this request is wrong":
 * refused, reset or timed-out sockets; a server shutting down or starting (SQLSTATE 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now); too many connections (53300);
 * any connection exception (class 08).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);
/** node-postgres and pg-pool say these in words only, without a code. */
const UNAVAILABLE_MESSAGES =
  /^Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Connection refused/i;

/** Whether `error` (or what it wraps: TypeORM's driverError, a cause, an AggregateError's errors) is the database being out of reach. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  return (
    isDatabaseUnavailable(driverError, depth + 1) ||
    isDatabaseUnavailable(cause, depth + 1) ||
    (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1)))
  );
}

/**
 * Keeps a database outage to two log lines: one when the first request fails for it, one when
 * the database answers again (probed every second meanwhile), with how many requests got a 503.
 */
@Injectable()
export class DatabaseOutage implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private since: number | undefined;
  private refused = 0;
  private probe: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly db: Db) {}

  get ongoing(): boolean {
    return this.since !== undefined;
  }

  /** A request is being answered 503 because of `error` (or, with `request` false, background work failed for it). */
  report(error: unknown, request = true): void {
    if (request) this.refused++;
    if (this.since !== undefined || this.closed) return;
    this.since = Date.now();
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.error(`database unavailable (${reason}): answering 503 until it is back`);
    this.scheduleProbe();
  }

  onApplicationShutdown(): void {
    this.closed = true;
    clearTimeout(this.probe);
  }

  private scheduleProbe(): void {
    this.probe = setTimeout(() => void this.checkRecovery(), PROBE_INTERVAL_MS).unref();
  }

  private async checkRecovery(): Promise<void> {
    try {
      await this.db.ping();
    } catch {
      if (!this.closed) this.scheduleProbe();
      return;
    }
    const seconds = Math.round((Date.now() - (this.since ?? Date.now())) / 1000);
    this.logger.log(`database reachable again after ${seconds}s; ${this.refused} request(s) were answered 503`);
    this.since = undefined;
    this.refused = 0;
  }
}
