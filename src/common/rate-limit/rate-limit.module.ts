import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { AppConfig } from '../../config/environment.js';
import { PG_POOL } from '../../database/pool.js';
import { Limits } from './limits.service.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/** Redis for counters only: never queue or retry a command for long, the Postgres fallback is right there. */
export function connectRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    disconnectTimeout: 200,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

/** The shared rate-limit storage (see RateLimitStorage), chosen by REDIS_URL, and the abuse limits counted in it. */
@Global()
@Module({
  providers: [
    {
      provide: RateLimitStorage,
      inject: [ConfigService, PG_POOL],
      useFactory: (config: AppConfig, pool: pg.Pool) => {
        const redisUrl = config.get('REDIS_URL', { infer: true });
        const database = new URL(config.getOrThrow('DATABASE_URL', { infer: true })).pathname.slice(1);
        return new RateLimitStorage({
          pool,
          redis: redisUrl ? connectRedis(redisUrl) : undefined,
          // Instances on the same database share limits (API.md, Operations); others on this Redis do not.
          redisKeyPrefix: `${database}:`,
        });
      },
    },
    Limits,
  ],
  exports: [RateLimitStorage, Limits],
})
export class RateLimitModule {}
