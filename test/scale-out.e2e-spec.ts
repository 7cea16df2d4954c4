import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import pg from 'pg';
import { migrations } from '../src/database/migrations/index.js';
import {
  buildServerOnce,
  createEmptyDatabase,
  EMBEDDED_RUNNER_LOADED,
  freePort,
  type Instance,
  REPORT_EMBEDDED_RUNNER,
  startInstances,
} from './support/instances.js';
import { describeWithRedis } from './support/redis-server.js';

/**
 * Several real `node dist/main.js` processes on one database, as behind a load balancer.
 * Every process is killed in afterAll, whatever happened.
 */
const LIMIT = 4;

describe('several instances', () => {
  const started: Instance[] = [];
  let database: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let env: Record<string, string>;

  const start = async (count: number, extra: Record<string, string> = {}) => {
    const instances = await startInstances(count, { ...env, ...extra });
    started.push(...instances);
    await Promise.all(instances.map((i) => i.ready()));
    return instances;
  };
  const stop = (instances: Instance[]) => Promise.all(instances.map((i) => i.kill()));

  /** 3×LIMIT logins at once, spread round-robin over the instances: the statuses, sorted. */
  const loginBurst = async (instances: Instance[], limit: number) => {
    const statuses = await Promise.all(
      Array.from({ length: 3 * limit }, (_, n) =>
        fetch(`${instances[n % instances.length].url}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          // One email per login: the per-account limits (failed logins, one check in flight) are not what is measured here.
          body: JSON.stringify({ email: `nobody-${n}@example.com`, password: 'wrong-password' }),
        }).then((res) => res.status),
      ),
    );
    return statuses.sort();
  };

  beforeAll(async () => {
    await buildServerOnce();
    database = await createEmptyDatabase();
    env = {
      DATABASE_URL: database.url,
      KEYS_DIR: process.env.KEYS_DIR!,
      AUTH_RATE_LIMIT: String(LIMIT),
      AUTH_RATE_TTL: '60',
      SHUTDOWN_DELAY: '0',
    };
  }, 120_000);

  afterAll(async () => {
    await stop(started);
    await database?.drop();
  });

  describe('with counters in Postgres', () => {
    let trio: Instance[];
    beforeAll(async () => {
      trio = await start(3, { NODE_OPTIONS: REPORT_EMBEDDED_RUNNER });
    }, 60_000);
    afterAll(async () => stop(trio ?? []));

    it('start at once on an empty database, apply each migration once (under the lock), and all come up', async () => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string; n: string }>(
          'SELECT name, count(*) AS n FROM migrations GROUP BY name ORDER BY name',
        );
        expect(rows).toEqual(migrations.map((m) => ({ name: m.name, n: '1' })).sort((a, b) => a.name.localeCompare(b.name)));
      } finally {
        await client.end();
      }
      const logs = trio.map((i) => i.messages('Migrations'));
      for (const lines of logs) expect(lines).toContain('migration lock acquired');
      const appliers = logs.filter((lines) => lines.some((l) => l.startsWith(`applied ${migrations.length} migration(s)`)));
      expect(appliers).toHaveLength(1);
      expect(logs.filter((lines) => lines.includes('no pending migrations'))).toHaveLength(2);
    });

    it('never load the embedded-Postgres runner: DATABASE_URL is set (the ctrl-c spec sees it loaded without)', () => {
      for (const instance of trio) expect(instance.output).not.toContain(EMBEDDED_RUNNER_LOADED);
    });

    it('hold one login limit across the three', async () => {
      const statuses = await loginBurst(trio, LIMIT);
      expect(statuses.filter((s) => s !== 429)).toEqual(Array(LIMIT).fill(401));
    });

    it('ignore an invented X-Forwarded-For: it does not reset the limit', async () => {
      const res = await fetch(`${trio[0].url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.77' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong-password' }),
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });

  describeWithRedis('with counters in Redis (REDIS_URL)', (redis) => {
    let trio: Instance[];
    beforeAll(async () => {
      trio = await start(3, { REDIS_URL: redis().url, AUTH_RATE_LIMIT: String(LIMIT + 1) });
    }, 60_000);
    afterAll(async () => stop(trio ?? []));

    it('hold one login limit across the three', async () => {
      const statuses = await loginBurst(trio, LIMIT + 1);
      expect(statuses.filter((s) => s !== 429)).toEqual(Array(LIMIT + 1).fill(401));
      for (const instance of trio)
        expect(instance.messages('RateLimit')).toEqual(['rate limits counted in Redis (in Postgres while it is down)']);
    });

    it('turn not-ready on SIGTERM while a slow request still completes', async () => {
      const [instance] = await start(1, { REDIS_URL: redis().url, SHUTDOWN_DELAY: '1' });
      // A request held open: headers and part of the body sent, the rest only after SIGTERM.
      const body = JSON.stringify({ email: 'slow@example.com', password: 'wrong-password' });
      const req = httpRequest(`${instance.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const slow = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
      });
      req.write(body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 100));

      instance.signal('SIGTERM');
      let ready: { status: number; body: { status?: string } } | undefined;
      for (let i = 0; i < 50; i++) {
        const res = await fetch(`${instance.url}/health/ready`);
        ready = { status: res.status, body: (await res.json()) as { status?: string } };
        if (res.status === 503) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(ready).toEqual({ status: 503, body: expect.objectContaining({ status: 'shutting down' }) });

      // After SHUTDOWN_DELAY the server stops accepting, and waits for the request still in flight.
      let accepting = true;
      for (let i = 0; i < 100 && accepting; i++) {
        accepting = await fetch(`${instance.url}/health/live`).then(
          () => true,
          () => false,
        );
        if (accepting) await new Promise((r) => setTimeout(r, 50));
      }
      expect(accepting).toBe(false);
      expect(instance.running).toBe(true);

      req.end(body.slice(10));
      expect(await slow).toBe(401);
      expect(await instance.exited).toBe(0);
    });
  });

  describe('the request log (written in blocks)', () => {
    const linesFor = (instance: Instance, route: string) => instance.logs.filter((l) => l.msg === 'request' && l.route === route);

    it("writes a quiet server's few lines without waiting for a full block, one per request", async () => {
      const [instance] = await start(1);
      for (let i = 0; i < 3; i++) expect((await fetch(`${instance.url}/health/live`)).status).toBe(200);
      // Three lines are far below a block: only the periodic flush (500 ms) writes them.
      for (let i = 0; i < 40 && linesFor(instance, '/health/live').length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      expect(linesFor(instance, '/health/live')).toEqual(Array(3).fill(expect.objectContaining({ method: 'GET', status: 200 })));
      await stop([instance]);
    });

    // The logger alone in a process, so that nothing else flushes it first (the server's shutdown
    // message would): only the exit hook can write these lines.
    it.each([
      ['process.exit()', 'process.exit(0)'],
      ['an uncaught exception', "setImmediate(() => { throw new Error('boom'); })"],
    ])('loses no gathered line when the process ends by %s', async (_how, ending) => {
      const script = `
        const { createLogger } = await import(${JSON.stringify(new URL('../dist/common/logger.js', import.meta.url).href)});
        const logger = createLogger({ LOG_LEVEL: 'info' });
        for (let n = 0; n < 3; n++) logger.info({ n }, 'request');
        ${ending};`;
      const { stdout } = await new Promise<{ stdout: string }>((resolveRun) =>
        execFile(process.execPath, ['--input-type=module', '-e', script], (_error, out) => resolveRun({ stdout: out })),
      );
      expect(
        stdout
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { n: number }).n),
      ).toEqual([0, 1, 2]);
    });
  });

  describe('with REDIS_URL pointing at a Redis that is down', () => {
    let instance: Instance;
    beforeAll(async () => {
      [instance] = await start(1, { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, AUTH_RATE_LIMIT: String(LIMIT + 2) });
    }, 60_000);
    afterAll(async () => stop(instance ? [instance] : []));

    it('still limits (in Postgres), never answers 500, and says so once in the log', async () => {
      const statuses = await loginBurst([instance], LIMIT + 2);
      expect(statuses.filter((s) => s !== 429)).toEqual(Array(LIMIT + 2).fill(401));
      const warnings = instance.messages('RateLimit').filter((m) => m.startsWith('Redis unavailable'));
      expect(warnings).toHaveLength(1);
    });
  });
});
