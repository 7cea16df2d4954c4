import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { Db } from '../src/database/db.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { type NotificationChannel, PermanentDeliveryFailure } from '../src/notifications/notification-channel.js';
import { NotificationQueue } from '../src/notifications/notification-queue.js';
import { RETENTION_RULES } from '../src/retention/retention.rules.js';
import { RETENTION_TASK, RetentionService } from '../src/retention/retention.service.js';
import { createApp } from '../src/app.factory.js';
import { validateEnvironment } from '../src/config/environment.js';
import { createTestApp } from './support/app.js';
import { bearer, signUpAndLogIn, type SignedInUser } from './support/auth.js';

const BATCH = 10;
const DAY = "interval '1 day'";

/** A channel holding a phone number and a todo's title, as the SMS channel does; fails as told. */
class PersonalChannel implements NotificationChannel<{ to: string; text: string }> {
  readonly name = 'personal';
  refuse = new Set<string>();
  async deliver(payload: { to: string; text: string }) {
    if (this.refuse.has(payload.text)) throw new PermanentDeliveryFailure('refused');
  }
}

async function until(condition: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runsOf = async (app: NestFastifyApplication) =>
  (await app.get(MetricsService).registry.getSingleMetric('retention_runs_total')!.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('retention', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  let user: SignedInUser;
  const channel = new PersonalChannel();

  beforeAll(async () => {
    app = await createApp(
      validateEnvironment({ ...process.env, RETENTION_BATCH_SIZE: String(BATCH), SESSION_RETENTION: '30', QUEUE_POLL_INTERVAL_MS: '500' }),
    );
    app.get(NotificationQueue).register(channel);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    user = await signUpAndLogIn(app);
  });

  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  /** `n` sessions of the user that ended (expired, or were revoked) `daysAgo` days ago; their ids. */
  async function sessions(n: number, ended: 'expired' | 'revoked' | 'live', daysAgo = 0): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO sessions (id, user_id, refresh_jti, expires_at, revoked_at)
       SELECT gen_random_uuid(), $1, gen_random_uuid(),
         CASE WHEN $2 = 'expired' THEN now() - $3 * ${DAY} ELSE now() + ${DAY} END,
         CASE WHEN $2 = 'revoked' THEN now() - $3 * ${DAY} END
       FROM generate_series(1, $4) RETURNING id`,
      [user.userId, ended, daysAgo, n],
    );
    return rows.map((r) => r.id);
  }

  const remaining = async (table: string, column: string, values: string[]) =>
    Number((await db.query(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ANY($1)`, [values])).rows[0].n);

  async function enqueue(text: string): Promise<string> {
    return app.get(Db).transaction((tx) => app.get(NotificationQueue).enqueue(tx, 'personal', { to: '+14155550100', text }));
  }
  const jobOf = async (id: string) =>
    (await db.query<{ state: string; data: object }>('SELECT state, data FROM pgboss.job WHERE id = $1', [id])).rows[0];

  it('erases a finished message’s phone number and text the moment it is delivered or given up on', async () => {
    channel.refuse.add('Refused: Renew passport');
    const delivered = await enqueue('New todo: Renew passport');
    const refused = await enqueue('Refused: Renew passport');
    await until(async () => (await jobOf(delivered))?.state === 'completed' && (await jobOf(refused))?.state === 'failed');
    for (const id of [delivered, refused]) {
      const { data } = await jobOf(id);
      expect(data).toEqual({ erased: true });
      expect(JSON.stringify(data)).not.toMatch(/4155550100|passport/);
    }
  });

  it('deletes sessions, link tokens, rate-limit rows and queue entries past retention, in batches, and keeps the rest', async () => {
    // Sessions: 23 expired and 4 revoked more than 30 days ago go; ended 29 days ago, or live, stay.
    const old = [...(await sessions(23, 'expired', 31)), ...(await sessions(4, 'revoked', 31))];
    const fresh = [...(await sessions(2, 'expired', 29)), ...(await sessions(2, 'revoked', 1)), ...(await sessions(1, 'live'))];

    // Link tokens: spent and expired go at once; a live one stays.
    const token = () => randomBytes(32).toString('hex');
    const [spent, expired, live] = [token(), token(), token()];
    await db.query(
      `INSERT INTO link_tokens (token_hash, user_id, purpose, bound_to, expires_at, used_at) VALUES
        ($1, $4, 'password-reset', $1, now() + ${DAY}, now()),
        ($2, $4, 'password-reset', $2, now() - interval '1 second', NULL),
        ($3, $4, 'password-reset', $3, now() + ${DAY}, NULL)`,
      [spent, expired, live, user.userId],
    );

    // Rate-limit rows: expired go; current and never-expiring stay.
    const keys = ['expired-1', 'expired-2', 'current', 'forever'].map((k) => `retention-${randomUUID()}-${k}`);
    const now = Date.now();
    await db.query(`INSERT INTO rate_limits (key, points, expire) VALUES ($1, 1, $5), ($2, 1, $5), ($3, 1, $6), ($4, 1, NULL)`, [
      ...keys,
      now - 1000,
      now + 60_000,
    ]);

    // Queue entries: completed over a day ago and failed over a week ago go; younger ones stay.
    const [oldDone, newDone, oldFailed, newFailed] = [await enqueue('a'), await enqueue('b'), await enqueue('c'), await enqueue('d')];
    await until(async () => (await jobOf(oldDone))?.state === 'completed' && (await jobOf(newDone))?.state === 'completed');
    await db.query(`UPDATE pgboss.job SET completed_on = now() - interval '25 hours' WHERE id = $1`, [oldDone]);
    await db.query(`UPDATE pgboss.job SET completed_on = now() - interval '23 hours' WHERE id = $1`, [newDone]);
    await until(
      async () =>
        ['completed', 'failed'].includes((await jobOf(oldFailed))?.state ?? '') &&
        ['completed', 'failed'].includes((await jobOf(newFailed))?.state ?? ''),
    );
    await db.query(`UPDATE pgboss.job SET state = 'failed', completed_on = now() - interval '8 days' WHERE id = $1`, [oldFailed]);
    await db.query(`UPDATE pgboss.job SET state = 'failed', completed_on = now() - interval '6 days' WHERE id = $1`, [newFailed]);
    // One that finished without its data erased (its instance stopped in between).
    await db.query(`UPDATE pgboss.job SET data = '{"to":"+14155550100","text":"New todo: x"}' WHERE id = $1`, [newFailed]);

    const report = await app.get(RetentionService).run();

    expect(await remaining('sessions', 'id', old)).toBe(0);
    expect(await remaining('sessions', 'id', fresh)).toBe(fresh.length);
    expect(await remaining('link_tokens', 'token_hash', [spent, expired])).toBe(0);
    expect(await remaining('link_tokens', 'token_hash', [live])).toBe(1);
    expect(await remaining('rate_limits', 'key', keys.slice(0, 2))).toBe(0);
    expect(await remaining('rate_limits', 'key', keys.slice(2))).toBe(2);
    expect(await remaining('pgboss.job', 'id', [oldDone, oldFailed])).toBe(0);
    expect(await remaining('pgboss.job', 'id', [newDone, newFailed])).toBe(2);
    expect((await jobOf(newFailed)).data).toEqual({ erased: true });

    expect(report.removed.sessions).toBeGreaterThanOrEqual(old.length);
    expect(report.removed).toMatchObject({ queue_personal_data: expect.any(Number) });
    expect(report.removed.queue_personal_data).toBeGreaterThanOrEqual(1);
    // Never more than a batch per statement: 27 or more sessions took at least three.
    for (const rule of RETENTION_RULES) {
      expect(report.batches[rule.name]).toBe(Math.floor(report.removed[rule.name] / BATCH) + 1);
    }
    // And a pause after every full batch, twice as long as the batch took: each waited at least 1 ms.
    const fullBatches = Object.values(report.batches).reduce((sum, n) => sum + n - 1, 0);
    expect(report.pausedMs).toBeGreaterThanOrEqual(fullBatches);
    expect(report.pausedMs).toBeLessThan(report.milliseconds);

    // The user's live session still works, and GET /metrics shows the run.
    await request(app.getHttpServer()).get('/users/me').set(bearer(user.accessToken)).expect(200);
    const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(new RegExp(`retention_last_run_removed\\{rule="sessions"\\} ${report.removed.sessions}`));
    expect(metrics).toMatch(/retention_runs_total\{result="success"\} 1/);

    // A second run finds nothing left.
    const again = await app.get(RetentionService).run();
    expect(again.removed.sessions).toBe(0);
  });

  it('skips a row a request holds locked instead of waiting for it', async () => {
    const [held] = await sessions(1, 'expired', 40);
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [held]);
      await app.get(RetentionService).run();
      expect(await remaining('sessions', 'id', [held])).toBe(1);
      await other.query('COMMIT');
      await app.get(RetentionService).run();
      expect(await remaining('sessions', 'id', [held])).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('finds what it deletes through an index, never by reading sessions, link_tokens or rate_limits whole', async () => {
    // Enough rows that a sequential scan would not be the cheap plan for an indexed condition.
    await db.query('ANALYZE sessions; ANALYZE link_tokens; ANALYZE rate_limits');
    for (const rule of RETENTION_RULES.filter((r) => !r.table.startsWith('pgboss.'))) {
      const params = [BATCH, ...(rule.params?.({ sessionRetentionDays: 30 }) ?? [])];
      await db.query('BEGIN');
      try {
        await db.query('SET LOCAL enable_seqscan = off');
        const plan = (await db.query(`EXPLAIN SELECT 1 FROM ${rule.table} WHERE ${rule.expired} LIMIT $1`, params)).rows
          .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'])
          .join('\n');
        expect({ rule: rule.name, plan }).toEqual({ rule: rule.name, plan: expect.not.stringMatching(/Seq Scan/) });
      } finally {
        await db.query('ROLLBACK');
      }
    }
  });
});

describe('the retention schedule', () => {
  let apps: NestFastifyApplication[];
  let db: pg.Client;

  beforeAll(async () => {
    apps = [await createTestApp({ QUEUE_POLL_INTERVAL_MS: '500' }), await createTestApp({ QUEUE_POLL_INTERVAL_MS: '500' })];
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    for (const app of apps ?? []) await app.close();
  });

  it('is stored once however many instances state it', async () => {
    const { rows } = await db.query('SELECT cron, timezone FROM pgboss.schedule WHERE name = $1', [RETENTION_TASK]);
    expect(rows).toEqual([{ cron: '7 * * * *', timezone: 'UTC' }]);
  });

  it('runs each occurrence in exactly one of the instances', async () => {
    const before = await Promise.all(apps.map(runsOf));
    const id = await apps[0].get(NotificationQueue).runNow(RETENTION_TASK);
    await until(async () => (await db.query('SELECT state FROM pgboss.job WHERE id = $1', [id])).rows[0]?.state === 'completed');
    // Both instances poll every 500 ms: give the other one time to (wrongly) run it too.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await Promise.all(apps.map(runsOf));
    expect(after[0] - before[0] + (after[1] - before[1])).toBe(1);
  });
});
