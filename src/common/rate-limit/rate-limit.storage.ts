import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;
import type { Redis } from 'ioredis';
import {
  type IRateLimiterStoreOptions,
  type RateLimiterAbstract,
  RateLimiterPostgres,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type pg from 'pg';

/** The table of migration CreateRateLimits. */
export const RATE_LIMIT_TABLE = 'rate_limits';
const CLEANUP_INTERVAL_MS = 5 * 60_000;

export interface RateLimitStores {
  /** Postgres: the counters by default, and the fallback while Redis is down. */
  pool: pg.Pool;
  /** Set when REDIS_URL is: the counters live there. */
  redis?: Redis;
  /** Namespaces the Redis keys (several deployments may share one Redis). */
  redisKeyPrefix?: string;
}

/**
 * @nestjs/throttler's storage on rate-limiter-flexible, so every instance counts against the same
 * window: counters in Postgres (UNLOGGED table rate_limits), or in Redis when it is configured.
 *
 * Fail-safe semantics when Redis is down: each hit is counted in the Postgres table instead
 * (rate-limiter-flexible's insuranceLimiter, same limits). Limits keep holding across instances;
 * a client gets at most one extra window's worth of hits while the store switches. Redis going
 * down and coming back is logged once each. If the counters cannot be reached at all (Postgres
 * down too), the error goes up like any database failure: 503, never an unlimited pass.
 */
export class RateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimit');
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly cleanup: NodeJS.Timeout;

  constructor(private readonly stores: RateLimitStores) {
    // One limiter object per throttler; a DELETE of expired rows here rather than one timer per limiter.
    this.cleanup = setInterval(() => void this.deleteExpired(), CLEANUP_INTERVAL_MS).unref();
    if (stores.redis) this.watchRedis(stores.redis);
    this.logger.log(stores.redis ? 'rate limits counted in Redis (in Postgres while it is down)' : 'rate limits counted in Postgres');
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const limiter = this.limiter(throttlerName, ttl, limit, blockDuration);
    try {
      const result = await limiter.consume(key);
      return { totalHits: result.consumedPoints, timeToExpire: seconds(result.msBeforeNext), isBlocked: false, timeToBlockExpire: 0 };
    } catch (outcome) {
      if (!(outcome instanceof RateLimiterRes)) throw outcome;
      const wait = seconds(outcome.msBeforeNext);
      return { totalHits: outcome.consumedPoints, timeToExpire: wait, isBlocked: true, timeToBlockExpire: wait };
    }
  }

  /**
   * A counter of `points` per `durationSeconds` for one of the LIMITS (limits.ts), in the same
   * store and with the same fallback as the throttler's.
   */
  counter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
    return this.limiter(`limit:${name}`, durationSeconds * 1000, points, 0);
  }

  onApplicationShutdown(): void {
    clearInterval(this.cleanup);
    this.stores.redis?.disconnect();
  }

  /** ttl and blockDuration come from the throttler in milliseconds; the limiters count whole seconds. */
  private limiter(name: string, ttlMs: number, limit: number, blockMs: number): RateLimiterAbstract {
    const id = `${name}:${ttlMs}:${limit}:${blockMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      const common = {
        // The limits are part of the key prefix: changing a limit starts fresh windows.
        keyPrefix: `throttle:${id}`,
        points: limit,
        duration: Math.max(1, Math.ceil(ttlMs / 1000)),
        blockDuration: blockMs > ttlMs ? Math.ceil(blockMs / 1000) : 0,
      } satisfies Partial<IRateLimiterStoreOptions>;
      const postgres = new RateLimiterPostgres({
        ...common,
        storeClient: this.stores.pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
      });
      limiter = this.stores.redis
        ? new RateLimiterRedis({
            ...common,
            keyPrefix: `${this.stores.redisKeyPrefix ?? ''}${common.keyPrefix}`,
            storeClient: this.stores.redis,
            // Not connected: count in Postgres at once rather than queue behind a reconnect.
            rejectIfRedisNotReady: true,
            insuranceLimiter: postgres,
          })
        : postgres;
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  private watchRedis(redis: Redis): void {
    let down = false;
    // ioredis emits 'error' on every failed reconnect: one line per outage, one when it ends.
    redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      this.logger.warn(`Redis unavailable (${error.message}): rate limits are counted in Postgres until it is back`);
    });
    redis.on('ready', () => {
      if (!down) return;
      down = false;
      this.logger.log('Redis reachable again: rate limits are counted in Redis');
    });
  }

  private async deleteExpired(): Promise<void> {
    await this.stores.pool.query(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire < $1`, [Date.now() - 3_600_000]).catch(() => undefined);
  }
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
