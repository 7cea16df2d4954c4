import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { connectRedis } from '../src/common/rate-limit/rate-limit.module.js';
import { RateLimitStorage } from '../src/common/rate-limit/rate-limit.storage.js';
import { createPool } from '../src/database/pool.js';
import { freePort } from './support/instances.js';
import { describeWithRedis } from './support/redis-server.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const redisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 500,
  disconnectTimeout: 100,
  retryStrategy: () => 200,
};

/** A client of the Redis at `url`, ready; its errors are RateLimitStorage's to handle once it has it. */
async function readyRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, redisOptions);
  // Until it is ready, hits are counted in Postgres (the fail-safe path); these cases are about Redis.
  await new Promise<void>((resolve, reject) => {
    redis.once('ready', () => resolve());
    redis.once('error', (error) => {
      redis.disconnect();
      reject(error);
    });
  });
  redis.removeAllListeners('error');
  return redis;
}

describe('rate-limit counters in Postgres', () => sameBehaviour(async () => undefined));
describeWithRedis('rate-limit counters in Redis', (server) => sameBehaviour(() => readyRedis(server().url)));
describe('rate-limit counters in Redis that is down (Postgres takes over)', () =>
  sameBehaviour(async () => new Redis(`redis://127.0.0.1:${await freePort()}`, redisOptions)));

/** The same behaviour whatever holds the counters. */
function sameBehaviour(connect: () => Promise<Redis | undefined>): void {
  let pool: pg.Pool;
  let storage: RateLimitStorage;
  // A fresh prefix and fresh keys per run: the machine's Redis outlives test databases.
  const run = randomBytes(6).toString('hex');
  beforeAll(async () => {
    pool = createPool(process.env.DATABASE_URL!);
    storage = new RateLimitStorage({ pool, redis: await connect(), redisKeyPrefix: `test-${run}:` });
  });
  afterAll(async () => {
    storage.onApplicationShutdown();
    await pool.end();
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
    const other = new RateLimitStorage({
      pool,
      redis: (storage as unknown as { stores: { redis?: Redis } }).stores.redis,
      redisKeyPrefix: `test-${run}:`,
    });
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
}

describeWithRedis('Redis going down and coming back', (server) => {
  let pool: pg.Pool;
  let storage: RateLimitStorage;
  let relay: TcpProxy;
  let warn: jest.Spied<Logger['warn']>;
  let log: jest.Spied<Logger['log']>;
  const run = randomBytes(6).toString('hex');
  const said = (spy: jest.Spied<Logger['warn']>, start: string) => spy.mock.calls.filter(([m]) => String(m).startsWith(start)).length;
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  };

  beforeAll(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    log = jest.spyOn(Logger.prototype, 'log');
    relay = await startTcpProxy({ host: '127.0.0.1', port: server().port });
    pool = createPool(process.env.DATABASE_URL!);
    const redis = connectRedis(`redis://127.0.0.1:${relay.port}`);
    await new Promise((resolve) => redis.once('ready', resolve));
    storage = new RateLimitStorage({ pool, redis, redisKeyPrefix: `test-${run}:` });
  });
  afterAll(async () => {
    warn?.mockRestore();
    log?.mockRestore();
    storage?.onApplicationShutdown();
    await pool?.end();
    await relay?.close();
  });

  it('keeps limiting through each outage, logging one line when it starts and one when it ends', async () => {
    const hit = (client: string) => storage.increment(`client-${run}-${client}`, 60_000, 2, 60_000, 'default');
    expect((await hit('a')).isBlocked).toBe(false);

    for (const outage of [1, 2]) {
      await relay.cut();
      const results = [];
      for (let i = 0; i < 10; i++) results.push(await hit(`down-${outage}`));
      expect(results.map((r) => r.isBlocked)).toEqual([false, false, ...Array(8).fill(true)]);
      expect(said(warn, 'Redis unavailable')).toBe(outage);

      await relay.restore();
      await until(() => said(log, 'Redis reachable again') === outage);
      expect(said(log, 'Redis reachable again')).toBe(outage);
    }
    // Counted in Redis again: client a's earlier hit is still there.
    expect((await hit('a')).totalHits).toBe(2);
    expect((await hit('a')).isBlocked).toBe(true);
  });
});
