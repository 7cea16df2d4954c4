import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { RateLimitStorage } from '../src/common/rate-limit/rate-limit.storage.js';
import { dataSourceOptions } from '../src/database/data-source.js';
import { freePort } from './support/database.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 500, disconnectTimeout: 100, retryStrategy: () => 200 };

/** The same behaviour whatever holds the counters. */
describe.each([
  ['Postgres', async () => undefined],
  [
    'Redis',
    async () => {
      // Until it is ready, hits are counted in Postgres (the fail-safe path); this case is about Redis.
      const redis = new Redis(REDIS_URL, redisOptions);
      await new Promise((resolve) => redis.once('ready', resolve));
      return redis;
    },
  ],
  ['Redis that is down (Postgres takes over)', async () => new Redis(`redis://127.0.0.1:${await freePort()}`, redisOptions)],
])('rate-limit counters in %s', (_store, connect) => {
  let dataSource: DataSource;
  let storage: RateLimitStorage;
  // A fresh prefix and fresh keys per run: the machine's Redis outlives test databases.
  const run = randomBytes(6).toString('hex');
  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(process.env.DATABASE_URL!)).initialize();
    storage = new RateLimitStorage({ dataSource, redis: await connect(), redisKeyPrefix: `test-${run}:` });
  });
  afterAll(async () => {
    storage.onApplicationShutdown();
    await dataSource.destroy();
  });

  it('lets `limit` hits through per window, then blocks with the time left', async () => {
    const key = `client-${run}-a`;
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await storage.increment(key, 60_000, 3, 60_000, 'default'));
    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(results[3].timeToBlockExpire).toBeGreaterThan(0);
    expect(results[3].timeToBlockExpire).toBeLessThanOrEqual(60);
    expect(results[0].timeToExpire).toBeLessThanOrEqual(60);
  });

  it('counts each client on its own', async () => {
    await storage.increment(`client-${run}-b`, 60_000, 1, 60_000, 'default');
    expect((await storage.increment(`client-${run}-b`, 60_000, 1, 60_000, 'default')).isBlocked).toBe(true);
    expect((await storage.increment(`client-${run}-c`, 60_000, 1, 60_000, 'default')).isBlocked).toBe(false);
  });

  it('shares the window between two instances on the same stores', async () => {
    const other = new RateLimitStorage({ dataSource, redis: (storage as unknown as { stores: { redis?: Redis } }).stores.redis, redisKeyPrefix: `test-${run}:` });
    try {
      const key = `client-${run}-d`;
      expect((await storage.increment(key, 60_000, 2, 60_000, 'default')).isBlocked).toBe(false);
      expect((await other.increment(key, 60_000, 2, 60_000, 'default')).isBlocked).toBe(false);
      expect((await storage.increment(key, 60_000, 2, 60_000, 'default')).isBlocked).toBe(true);
      expect((await other.increment(key, 60_000, 2, 60_000, 'default')).isBlocked).toBe(true);
    } finally {
      // Its Redis connection belongs to `storage`.
      clearInterval((other as unknown as { cleanup: NodeJS.Timeout }).cleanup);
    }
  });
});
