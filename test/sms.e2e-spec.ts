import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { FakeVonage } from './support/fake-vonage.js';
import { type SignedInUser, signUpAndLogIn } from './support/auth.js';
import { proveInDatabase } from './support/phone.js';
import { until } from './support/until.js';

/**
 * The SMS sent when a todo is created, end to end: the app (one or two instances on the run's
 * database), its queue and workers, and a fake Vonage API on a real port.
 */

interface JobRow {
  id: string;
  state: string;
  retry_count: number;
  output: { error?: string } | null;
  data: { to: string; text: string };
}

/** A fresh number per test, so tests sharing the fake and the queue never see each other's messages. */
const newNumber = () => `+4477009${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;

describe('a text message when a todo is created', () => {
  let fake: FakeVonage;
  let app: NestFastifyApplication;
  let db: pg.Client;
  const extraApps: NestFastifyApplication[] = [];

  const startApp = () =>
    createTestApp({
      SMS_PROVIDER: 'vonage',
      VONAGE_API_KEY: 'key123',
      VONAGE_API_SECRET: 'secret456',
      VONAGE_FROM: 'TodoApi',
      VONAGE_API_URL: fake.url,
      QUEUE_POLL_INTERVAL_MS: '500',
      // Retries after 1-2 s, 2-4 s, 4-8 s... instead of 2-4 s, 4-8 s...: the same policy, faster.
      QUEUE_RETRY_DELAY: '1',
    });

  beforeAll(async () => {
    fake = await FakeVonage.start();
    app = await startApp();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });

  afterAll(async () => {
    fake?.releaseHanging();
    await db?.end();
    for (const extra of extraApps) await extra.close();
    await app?.close();
    await fake?.stop();
  });

  /** A user with a proved address and number who turned texts on (the proving is test/abuse-sms.e2e-spec.ts's subject). */
  async function optedInUser(on = app): Promise<SignedInUser & { phone: string }> {
    const user = await signUpAndLogIn(on);
    const phone = newNumber();
    await proveInDatabase(db, user.userId, { number: phone, smsNotifications: true });
    return { ...user, phone };
  }

  function createTodo(user: SignedInUser, title: string, on = app) {
    return request(on.getHttpServer()).post('/todos').auth(user.accessToken, { type: 'bearer' }).send({ title });
  }

  /** Entries to this number: by the number while it waits, by the client_ref Vonage saw once finished (its data is erased then). */
  async function jobsTo(phone: string): Promise<JobRow[]> {
    const attempted = fake.requestsTo(phone).map((r) => (r.body as { client_ref: string }).client_ref);
    const { rows } = await db.query<JobRow>(
      `SELECT id, state, retry_count, output, data FROM pgboss.job
        WHERE name = 'sms' AND (data->>'to' = $1 OR id = ANY($2::uuid[])) ORDER BY created_on`,
      [phone, attempted],
    );
    return rows;
  }

  /** This instance's count of SMS messages, from GET /metrics. */
  async function counter(name: string): Promise<number> {
    const { text } = await request(app.getHttpServer()).get('/metrics').expect(200);
    return Number(new RegExp(`^${name}\\{channel="sms"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  }

  it('sends an opted-in user exactly one request with the documented body and Basic auth', async () => {
    const user = await optedInUser();
    const created = await createTodo(user, 'Renew passport').expect(201);
    expect(created.body.title).toBe('Renew passport');

    await until(async () => (await jobsTo(user.phone))[0]?.state === 'completed', 'the message to be delivered');
    const [job] = await jobsTo(user.phone);
    // Issue 26: the delivered entry no longer holds the number or the todo's title.
    expect(job.data).toEqual({ erased: true });
    const requests = fake.requestsTo(user.phone);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ method: 'POST', path: '/v1/messages' });
    expect(requests[0].headers.authorization).toBe(`Basic ${Buffer.from('key123:secret456').toString('base64')}`);
    await expect(counter('messages_delivered_total')).resolves.toBeGreaterThanOrEqual(1);
    expect(requests[0].body).toEqual({
      message_type: 'text',
      channel: 'sms',
      to: user.phone.slice(1),
      from: 'TodoApi',
      text: 'New todo: Renew passport',
      client_ref: job.id,
    });
  });

  it('cuts a long title so the text fits one SMS', async () => {
    const user = await optedInUser();
    await createTodo(user, 'x'.repeat(200)).expect(201);
    await until(() => fake.requestsTo(user.phone).length === 1, 'the message');
    const { text } = fake.requestsTo(user.phone)[0].body as { text: string };
    expect(text).toBe(`New todo: ${'x'.repeat(147)}...`);
    expect(text).toHaveLength(160);
  });

  it('sends nothing to users who did not opt in, or who removed their number', async () => {
    const noNumber = await signUpAndLogIn(app);
    const numberOnly = await signUpAndLogIn(app);
    const numberOnlyPhone = newNumber();
    await proveInDatabase(db, numberOnly.userId, { number: numberOnlyPhone, smsNotifications: false });
    const removed = await optedInUser();
    await request(app.getHttpServer())
      .patch('/users/me')
      .auth(removed.accessToken, { type: 'bearer' })
      .send({ phoneNumber: null })
      .expect(200);

    await createTodo(noNumber, 'no number').expect(201);
    await createTodo(numberOnly, 'number but no opt-in').expect(201);
    await createTodo(removed, 'number removed').expect(201);
    // An opted-in user's todo created after them: once it is delivered, theirs would have been queued long since.
    const marker = await optedInUser();
    await createTodo(marker, 'marker').expect(201);
    await until(() => fake.requestsTo(marker.phone).length === 1, 'the marker message');

    expect(fake.requestsTo(numberOnlyPhone)).toEqual([]);
    expect(fake.requestsTo(removed.phone)).toEqual([]);
    await expect(jobsTo(numberOnlyPhone)).resolves.toEqual([]);
    await expect(jobsTo(removed.phone)).resolves.toEqual([]);
    const texts = fake.requests.map((r) => (r.body as { text: string }).text);
    expect(texts).not.toContain('New todo: no number');
  });

  it('retries through three 503s and delivers once, under one client_ref', async () => {
    const user = await optedInUser();
    fake.script(user.phone, [503, 503, 503]);
    await createTodo(user, 'flaky provider').expect(201);

    await until(async () => (await jobsTo(user.phone))[0]?.state === 'completed', 'delivery after the retries', 60_000);
    const [job] = await jobsTo(user.phone);
    const requests = fake.requestsTo(user.phone);
    expect(requests.map((r) => r.answer)).toEqual([503, 503, 503, 202]);
    expect(new Set(requests.map((r) => (r.body as { client_ref: string }).client_ref))).toEqual(new Set([job.id]));
    expect(job.retry_count).toBe(3);
    // Backing off: each wait is at least as long as the one before it (1-2 s, 2-4 s, 4-8 s).
    const gaps = requests.slice(1).map((r, i) => r.at - requests[i].at);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
    expect(gaps[2]).toBeGreaterThanOrEqual(3_900);
  });

  it('keeps a message Vonage refuses with 400 as failed, without retrying it, and counts it', async () => {
    const before = { queued: await counter('messages_queued_total'), failed: await counter('messages_failed_total') };
    const user = await optedInUser();
    fake.script(user.phone, [], 400);
    await createTodo(user, 'refused').expect(201);

    await until(async () => (await jobsTo(user.phone))[0]?.state === 'failed', 'the message to fail');
    const [job] = await jobsTo(user.phone);
    expect(job.retry_count).toBe(0);
    expect(job.output?.error).toBe('Vonage answered 400: Invalid params - fake answered 400');
    expect(fake.requestsTo(user.phone)).toHaveLength(1);
    await expect(counter('messages_queued_total')).resolves.toBe(before.queued + 1);
    await expect(counter('messages_failed_total')).resolves.toBe(before.failed + 1);
  });

  it('answers POST /todos while the provider is hanging, and delivers the next message meanwhile', async () => {
    const user = await optedInUser();
    fake.script(user.phone, ['hang']);
    const first = await createTodo(user, 'first, provider hangs').expect(201);
    await until(() => fake.requestsTo(user.phone).length === 1, 'the worker to call the provider');
    expect(fake.hangingCount).toBeGreaterThan(0);

    // The provider still has not answered the first request, and the next todo is created anyway.
    const second = await createTodo(user, 'second, provider still hanging').expect(201);
    expect(fake.requestsTo(user.phone)[0].answer).toBe('hang');
    expect(fake.hangingCount).toBeGreaterThan(0);
    expect(second.body.id).not.toBe(first.body.id);

    // The hung attempt holds one worker; the other delivers the second message before it ends.
    await until(() => fake.requestsTo(user.phone).some((r) => r.answer === 202), 'the second message');
    expect(fake.hangingCount).toBeGreaterThan(0);
    expect((fake.requestsTo(user.phone).find((r) => r.answer === 202)?.body as { text: string }).text).toBe(
      'New todo: second, provider still hanging',
    );

    // Released (503), the first is retried and delivered too.
    fake.releaseHanging();
    await until(async () => (await jobsTo(user.phone)).every((j) => j.state === 'completed'), 'both messages', 60_000);
    expect(fake.requestsTo(user.phone).filter((r) => r.answer === 202)).toHaveLength(2);
  });

  it('lets an attempt in flight finish when the app shuts down', async () => {
    const user = await optedInUser();
    fake.script(user.phone, ['slow']);
    await createTodo(user, 'in flight at shutdown').expect(201);
    await until(() => fake.requestsTo(user.phone).length === 1, 'the worker to call the provider');
    expect(fake.hangingCount).toBeGreaterThan(0);

    // What SIGTERM runs (main.ts): the provider answers during the shutdown, and the entry is completed.
    await app.close();
    const [job] = await jobsTo(user.phone);
    expect(job.state).toBe('completed');
    expect(fake.requestsTo(user.phone)).toHaveLength(1);
    app = await startApp();
  });

  it('delivers a message queued before a restart after it', async () => {
    const user = await optedInUser();
    fake.script(user.phone, [], 503);
    await createTodo(user, 'survives a restart').expect(201);
    await until(() => fake.requestsTo(user.phone).length >= 1, 'a first, failed attempt');
    await app.close();
    const [queued] = await jobsTo(user.phone);
    expect(['retry', 'created']).toContain(queued.state);

    fake.script(user.phone, [], 202);
    app = await startApp();
    await until(async () => (await jobsTo(user.phone))[0]?.state === 'completed', 'delivery after the restart', 60_000);
    const delivered = fake.requestsTo(user.phone).filter((r) => r.answer === 202);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].body).toMatchObject({ client_ref: queued.id, text: 'New todo: survives a restart' });
  });

  it('two instances on one database deliver each of 20 messages exactly once', async () => {
    const second = await startApp();
    extraApps.push(second);
    const user = await optedInUser();
    // Requests go to both instances, as a load balancer would spread them.
    for (let i = 0; i < 20; i++) await createTodo(user, `todo ${i}`, i % 2 === 0 ? app : second).expect(201);

    await until(
      async () => {
        const jobs = await jobsTo(user.phone);
        return jobs.length === 20 && jobs.every((j) => j.state === 'completed');
      },
      'all 20 deliveries',
      60_000,
    );
    const jobs = await jobsTo(user.phone);
    const requests = fake.requestsTo(user.phone);
    expect(requests).toHaveLength(20);
    expect(new Set(requests.map((r) => (r.body as { client_ref: string }).client_ref))).toEqual(new Set(jobs.map((j) => j.id)));
    expect(new Set(requests.map((r) => (r.body as { text: string }).text)).size).toBe(20);
  });

  it('queues nothing for a todo whose transaction fails at commit, and still works afterwards', async () => {
    const user = await optedInUser();
    // A deferred constraint trigger fails the COMMIT itself, after the todo and its message were written.
    await db.query(`CREATE FUNCTION refuse_todo() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await db.query(`CREATE CONSTRAINT TRIGGER refuse_marked_todo AFTER INSERT ON todos
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.title = 'refused at commit') EXECUTE FUNCTION refuse_todo()`);
    try {
      const refused = await createTodo(user, 'refused at commit');
      expect(refused.status).toBe(500);
    } finally {
      await db.query('DROP TRIGGER refuse_marked_todo ON todos');
      await db.query('DROP FUNCTION refuse_todo()');
    }
    const { rows } = await db.query('SELECT id FROM todos WHERE user_id = $1', [user.userId]);
    expect(rows).toEqual([]);
    await expect(jobsTo(user.phone)).resolves.toEqual([]);

    await createTodo(user, 'accepted').expect(201);
    await until(() => fake.requestsTo(user.phone).length === 1, 'the accepted todo’s message');
    expect(fake.requestsTo(user.phone).map((r) => (r.body as { text: string }).text)).toEqual(['New todo: accepted']);
  });
});
