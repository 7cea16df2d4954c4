import { Logger } from '@nestjs/common';
import type { Db } from '../database/db.js';
import type { EventContext, RefusalType } from './security-event.js';
import { SECURITY_EVENTS } from './security-events.sql.js';

/**
 * How many refusals are kept. An attacker chooses how many logins fail, so the table (and this
 * buffer) must not grow with them: per account and type, at most PER_ACCOUNT events per WINDOW
 * (the same 15 minutes as the failed-login limit); at most maxPending waiting in memory.
 */
export const REFUSAL_LIMITS: Readonly<RefusalLimits> = {
  perAccount: 10,
  windowSeconds: 900,
  maxPending: 5_000,
  flushAfterMs: 1_000,
  maxBatch: 500,
  maxAccounts: 100_000,
};

export interface RefusalLimits {
  perAccount: number;
  windowSeconds: number;
  maxPending: number;
  flushAfterMs: number;
  maxBatch: number;
  /** Accounts counted at once within a window: the counting itself must not grow without end. */
  maxAccounts: number;
}

export interface PendingRefusal extends EventContext {
  type: RefusalType;
  at: Date;
}

/** What happened to each refusal offered: written, or left out by a bound. */
export interface RefusalCounters {
  written(type: RefusalType, count: number): void;
  dropped(type: RefusalType, count: number): void;
}

/**
 * Refusals wait here and are written in batches, one statement per batch, by a timer: the request
 * that was refused only pushes onto an array and never waits for the database. Writing is best
 * effort: a batch that fails is logged and dropped, never retried into a growing backlog.
 */
export class RefusalBuffer {
  private readonly logger = new Logger('SecurityEvents');
  private pending: PendingRefusal[] = [];
  /** Refusals accepted in the current window, by `${userId} ${type}`. */
  private accepted = new Map<string, number>();
  private windowEndsAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly counters: RefusalCounters,
    private readonly limits: Readonly<RefusalLimits> = REFUSAL_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Accepts a refusal for writing soon, unless a bound says no; never waits. */
  add(type: RefusalType, context: EventContext): boolean {
    const now = this.now();
    if (now >= this.windowEndsAt) {
      this.accepted.clear();
      this.windowEndsAt = now + this.limits.windowSeconds * 1000;
    }
    const key = `${context.userId} ${type}`;
    const count = this.accepted.get(key) ?? 0;
    const untracked = count === 0 && this.accepted.size >= this.limits.maxAccounts;
    if (count >= this.limits.perAccount || this.pending.length >= this.limits.maxPending || untracked) {
      this.counters.dropped(type, 1);
      return false;
    }
    this.accepted.set(key, count + 1);
    this.pending.push({ ...context, type, at: new Date(now) });
    this.timer ??= setTimeout(() => void this.flush(), this.limits.flushAfterMs).unref();
    return true;
  }

  /** Writes everything pending now (and waits for a write already under way). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(() => this.writeAll());
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.limits.maxBatch);
      try {
        const written = await this.db.run(SECURITY_EVENTS.recordRefusals, [
          batch.map((e) => e.userId),
          batch.map((e) => e.type),
          batch.map((e) => e.at.toISOString()),
          batch.map((e) => e.sessionId ?? null),
          batch.map((e) => e.ip),
          batch.map((e) => e.userAgent),
          this.limits.windowSeconds,
          this.limits.perAccount,
        ]);
        const kept = countByType(written);
        for (const [type, count] of countByType(batch)) {
          this.counters.written(type, kept.get(type) ?? 0);
          this.counters.dropped(type, count - (kept.get(type) ?? 0));
        }
      } catch (error) {
        this.logger.error(`${batch.length} refusal events not written: ${error instanceof Error ? error.message : String(error)}`);
        for (const [type, count] of countByType(batch)) this.counters.dropped(type, count);
      }
    }
  }
}

function countByType(batch: { type: RefusalType }[]): Map<RefusalType, number> {
  const counts = new Map<RefusalType, number>();
  for (const event of batch) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  return counts;
}
