import { HttpException, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Environment } from '../../config/environment.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { BCRYPT_LIMITS, type BcryptLimitName, type LimitDefinition, LIMITS, type LimitName, type NumericSetting } from './limits.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/** A refusal by one of the limits: 429 (or 503 for the bcrypt queue) with Retry-After in seconds. */
export class LimitExceededException extends HttpException {
  constructor(
    readonly limit: string,
    readonly retryAfterSeconds: number,
    message: string,
    status = 429,
  ) {
    super(`${message}; retry after ${retryAfterSeconds} s`, status);
  }
}

/** What `take` says: allowed, or held back until `retryAfterSeconds` from now. */
export type LimitOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Limit hits are logged once per limit and key per minute; this many pairs are remembered. */
const LOG_INTERVAL_MS = 60_000;
const MAX_REMEMBERED_HITS = 10_000;

/**
 * Applies the limits of limits.ts: one call per place a limit holds. Keys (emails, numbers, user
 * ids) reach the store and the log only as a SHA-256 prefix. Every refusal counts in
 * `limit_refusals_total{limit}` and is logged at most once per minute per limit and key.
 */
@Injectable()
export class Limits {
  private readonly logger = new Logger('Limits');
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly storage: RateLimitStorage,
    private readonly config: ConfigService<Environment, true>,
    private readonly metrics: MetricsService,
  ) {}

  /** Counts one hit against `name` for `key`; past the limit, throws its 429. */
  async consume(name: LimitName, key: string): Promise<void> {
    const outcome = await this.take(name, key);
    if (!outcome.allowed) throw this.exception(name, outcome.retryAfterSeconds);
  }

  /** Counts one hit and says whether it was within the limit, for callers that refuse silently (a held-back mail). */
  async take(name: LimitName, key: string): Promise<LimitOutcome> {
    try {
      await this.counter(name).consume(hashKey(key));
      return { allowed: true };
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw outcome;
      const retryAfterSeconds = Math.max(1, Math.ceil(outcome.msBeforeNext / 1000));
      this.hit(name, key, retryAfterSeconds);
      return { allowed: false, retryAfterSeconds };
    }
  }

  /**
   * Runs a credential check (`attempt` answers whether it passed) under a failure limit: the
   * attempt is counted before it runs, so concurrent guesses cannot all slip in under the limit,
   * and given back when it passes or never ran (it threw). Past the limit, 429 without running it.
   * Reusable for any check that guesses could wear down (passwords, MFA codes).
   */
  async countFailures(name: LimitName, key: string, attempt: () => Promise<boolean>): Promise<boolean> {
    await this.consume(name, key);
    let passed = false;
    try {
      passed = await attempt();
      return passed;
    } catch (error) {
      passed = true;
      throw error;
    } finally {
      if (passed) await this.counter(name).reward(hashKey(key), 1);
    }
  }

  /** Forgets the count (a password reset clears the account's failed logins). */
  async reset(name: LimitName, key: string): Promise<void> {
    await this.counter(name).delete(hashKey(key));
  }

  /** The refusal of one of the per-instance bcrypt limits, counted and logged like the others. */
  refuse(name: BcryptLimitName, key: string): LimitExceededException {
    const limit = BCRYPT_LIMITS[name];
    this.hit(name, key, limit.retryAfterSeconds);
    return new LimitExceededException(name, limit.retryAfterSeconds, limit.refusal, limit.status);
  }

  /** The refusal `consume` throws, for a caller that decided on its own (a cap it checked by `take`). */
  exception(name: LimitName, retryAfterSeconds: number): LimitExceededException {
    return new LimitExceededException(name, retryAfterSeconds, LIMITS[name].refusal);
  }

  private counter(name: LimitName) {
    const { points, windowSeconds } = LIMITS[name] as LimitDefinition;
    const setting = (value: number | NumericSetting): number =>
      typeof value === 'number' ? value : Number(this.config.get(value, { infer: true }));
    return this.storage.counter(name, setting(points), setting(windowSeconds));
  }

  private hit(name: string, key: string, retryAfterSeconds: number): void {
    this.metrics.limitRefused(name);
    const id = `${name} ${hashKey(key).slice(0, 12)}`;
    const now = Date.now();
    const last = this.lastLogged.get(id);
    if (last !== undefined && now - last < LOG_INTERVAL_MS) return;
    this.lastLogged.delete(id);
    // Oldest first: a flood of distinct keys forgets the oldest, never grows without bound.
    if (this.lastLogged.size >= MAX_REMEMBERED_HITS) this.lastLogged.delete(this.lastLogged.keys().next().value!);
    this.lastLogged.set(id, now);
    this.logger.warn(
      `limit ${name} reached for key ${id.split(' ')[1]}: refused for ${retryAfterSeconds} s (further refusals for it are not logged for a minute)`,
    );
  }
}

/** Store and log keys are hashes: no email address or phone number in the counters' table or the log. */
function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url').slice(0, 32);
}
