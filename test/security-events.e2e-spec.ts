import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { REFUSAL_LIMITS } from '../src/events/refusal-buffer.js';
import { PAGE_SIZE, SecurityEvents } from '../src/events/security-events.js';
import { RetentionService } from '../src/retention/retention.service.js';
import { createTestApp } from './support/app.js';
import { bearer, logIn, newEmail, PASSWORD, signUp, signUpAndLogIn } from './support/auth.js';
import { type ReceivedMail, TestSmtpServer } from './support/smtp-server.js';

const APP_URL = 'https://app.example.com';
const NEW_SIGN_IN = 'New sign-in to your account';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1';

interface EventItem {
  type: string;
  at: string;
  ip: string | null;
  userAgent: string | null;
  sessionId?: string;
}

describe('security events', () => {
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  let http: ReturnType<NestFastifyApplication['getHttpServer']>;
  let db: pg.Client;
  let events: SecurityEvents;

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    // TRUST_PROXY lets a test log in "from" another address with X-Forwarded-For. The per-account
    // login limit is raised so the flood below meets the recorder's own bound, not the limiter's.
    app = await createTestApp({
      SMTP_URL: smtp.url,
      APP_URL,
      QUEUE_POLL_INTERVAL_MS: '500',
      TRUST_PROXY: 'true',
      LOGIN_ACCOUNT_LIMIT: '1000',
    });
    http = app.getHttpServer();
    events = app.get(SecurityEvents);
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await smtp?.stop();
  });

  const list = (accessToken: string, cursor?: string) =>
    request(http)
      .get('/users/me/security-events')
      .query(cursor === undefined ? {} : { cursor })
      .set(bearer(accessToken));
  const login = (email: string, password: string, userAgent = 'jest', ip = '198.51.100.1') =>
    request(http).post('/auth/login').set('user-agent', userAgent).set('x-forwarded-for', ip).send({ email, password });

  /** Every event of the user, all pages, newest first. */
  async function allEvents(accessToken: string): Promise<EventItem[]> {
    const items: EventItem[] = [];
    let cursor: string | undefined;
    do {
      const res = await list(accessToken, cursor).expect(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  const rowsOf = async (userId: string, type: string) =>
    Number((await db.query('SELECT count(*) FROM security_events WHERE user_id = $1 AND type = $2', [userId, type])).rows[0].count);

  function linkToken(received: ReceivedMail, path: string): string {
    const match = new RegExp(`${APP_URL}/${path}\\?token=([A-Za-z0-9_-]{43})`).exec(received.mail.text ?? '');
    if (!match) throw new Error(`no ${path} link in "${received.mail.subject}"`);
    return match[1];
  }

  it('records each action of the account as its event, newest first, and shows them only to their user', async () => {
    const user = await signUp(app);
    const verification = await smtp.waitForMail(user.email, { subject: 'Confirm your email address' });
    await request(http)
      .post('/auth/verify-email')
      .set('user-agent', 'verifier')
      .send({ token: linkToken(verification, 'verify-email') })
      .expect(200);

    const first = (await login(user.email, PASSWORD, 'device-1').expect(200)).body;
    await login(user.email, 'not the password', 'device-2', '203.0.113.9').expect(401);

    // A spent refresh token presented again: reuse, the session is revoked.
    await request(http).post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
    await request(http).post('/auth/refresh').set('user-agent', 'thief').send({ refreshToken: first.refreshToken }).expect(401);

    const second = (await login(user.email, PASSWORD, 'device-3').expect(200)).body;
    const third = (await login(user.email, PASSWORD, 'device-4').expect(200)).body;
    await request(http).post('/auth/logout').set(bearer(third.accessToken)).expect(204);
    const changed = (
      await request(http)
        .post('/users/me/password')
        .set(bearer(second.accessToken))
        .set('user-agent', 'device-3')
        .send({ currentPassword: PASSWORD, newPassword: 'a brand new password' })
        .expect(200)
    ).body;

    await request(http).post('/auth/password/forgot').send({ email: user.email }).expect(202);
    const reset = await smtp.waitForMail(user.email, { subject: 'Reset your password' });
    await request(http)
      .post('/auth/password/reset')
      .set('user-agent', 'resetter')
      .send({ token: linkToken(reset, 'reset-password'), newPassword: PASSWORD })
      .expect(204);
    const last = (await login(user.email, PASSWORD, 'device-5').expect(200)).body;
    await request(http).post('/auth/logout-all').set(bearer(last.accessToken)).expect(204);
    await events.flush();

    const fresh = (await login(user.email, PASSWORD, 'device-5').expect(200)).body;
    const seen = await allEvents(fresh.accessToken);
    expect(seen.map((e) => e.type)).toEqual([
      'login',
      'session_revoked', // logout-all: the one session left
      'login',
      'password_reset',
      'password_changed',
      'session_revoked',
      'login',
      'login',
      'refresh_reuse',
      'login_failed',
      'login',
      'email_verified',
    ]);
    expect(seen.map((e) => e.at)).toEqual([...seen.map((e) => e.at)].sort().reverse());
    for (const event of seen) {
      expect(Object.keys(event).sort()).toEqual(expect.arrayContaining(['at', 'ip', 'type', 'userAgent']));
      expect(Object.keys(event).every((key) => ['at', 'ip', 'type', 'userAgent', 'sessionId'].includes(key))).toBe(true);
      expect(event.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const failed = seen.find((e) => e.type === 'login_failed')!;
    expect(failed).toEqual({ type: 'login_failed', at: expect.any(String), ip: '203.0.113.9', userAgent: 'device-2' });
    expect(seen.find((e) => e.type === 'refresh_reuse')).toMatchObject({ userAgent: 'thief', sessionId: expect.any(String) });
    expect(seen.find((e) => e.type === 'password_changed')).toMatchObject({ userAgent: 'device-3', sessionId: expect.any(String) });
    expect(seen.find((e) => e.type === 'password_reset')).toMatchObject({ userAgent: 'resetter' });
    expect(seen.find((e) => e.type === 'email_verified')).toMatchObject({ userAgent: 'verifier' });
    expect(changed.accessToken).toBeDefined();

    // Another user sees none of these.
    const other = await signUpAndLogIn(app);
    const theirs = await allEvents(other.accessToken);
    expect(theirs.map((e) => e.type)).toEqual(['login']);

    // Counted by type for Prometheus.
    const metrics = await request(http).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^security_events_total\{type="password_reset"\} [1-9]/m);
    expect(metrics.text).toMatch(/^security_events_total\{type="login_failed"\} [1-9]/m);
  });

  it('a failed login records nothing that tells whether the email exists', async () => {
    const user = await signUp(app);
    const wrongPassword = await login(user.email, 'not the password').expect(401);
    const unknownEmail = await login(newEmail(), 'not the password').expect(401);
    expect(unknownEmail.body).toEqual(wrongPassword.body);
    await events.flush();
    // The owner's event carries no email and no password, and nobody has one for the unknown address.
    const [row] = (await db.query('SELECT * FROM security_events WHERE user_id = $1', [user.userId])).rows;
    expect(JSON.stringify(row)).not.toContain('not the password');
    expect(JSON.stringify(row)).not.toContain(user.email);
    const total = Number(
      (await db.query(`SELECT count(*) FROM security_events WHERE type = 'login_failed' AND user_id = $1`, [user.userId])).rows[0].count,
    );
    expect(total).toBe(1);
  });

  it('an event commits with its change or not at all', async () => {
    const user = await signUpAndLogIn(app);
    // A check that fails at COMMIT, after the change and its event were both written: the
    // password change's transaction rolls back as a whole.
    await db.query(`
      CREATE OR REPLACE FUNCTION e2e_refuse_user() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused at commit'; END $$`);
    await db.query(`
      CREATE CONSTRAINT TRIGGER e2e_refuse_user AFTER UPDATE ON users DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW WHEN (NEW.id = '${user.userId}') EXECUTE FUNCTION e2e_refuse_user()`);
    try {
      const change = () =>
        request(http)
          .post('/users/me/password')
          .set(bearer(user.accessToken))
          .send({ currentPassword: PASSWORD, newPassword: 'another password' });
      await change().expect(500);
      expect(await rowsOf(user.userId, 'password_changed')).toBe(0);
      await login(user.email, PASSWORD).expect(200);

      await db.query('DROP TRIGGER e2e_refuse_user ON users');
      await change().expect(200);
      expect(await rowsOf(user.userId, 'password_changed')).toBe(1);
    } finally {
      await db.query('DROP TRIGGER IF EXISTS e2e_refuse_user ON users');
    }
  });

  it('a flood of failed logins adds a bounded number of events per account, and others are still recorded', async () => {
    const target = await signUp(app);
    const bystander = await signUp(app);
    const attempts = REFUSAL_LIMITS.perAccount * 3;
    // One after another: a second password check of one account while one runs is refused (429) unrecorded.
    for (let i = 0; i < attempts; i++) await login(target.email, 'a wrong guess').expect(401);
    await login(bystander.email, 'a typo in it').expect(401);
    await events.flush();
    expect(await rowsOf(target.userId, 'login_failed')).toBe(REFUSAL_LIMITS.perAccount);
    expect(await rowsOf(bystander.userId, 'login_failed')).toBe(1);
    // The right password still works, and is recorded.
    const pair = (await login(target.email, PASSWORD).expect(200)).body;
    const seen = await allEvents(pair.accessToken);
    expect(seen[0].type).toBe('login');
    expect(seen.filter((e) => e.type === 'login_failed')).toHaveLength(REFUSAL_LIMITS.perAccount);
  });

  it('pages newest first with an opaque cursor that only its own user can use', async () => {
    const user = await signUp(app);
    const total = PAGE_SIZE + 5;
    let accessToken = '';
    for (let i = 0; i < total; i++) accessToken = (await logIn(app, user.email, PASSWORD, `agent-${i}`)).accessToken;

    const first = (await list(accessToken).expect(200)).body;
    expect(first.items).toHaveLength(PAGE_SIZE);
    expect(first.items[0].userAgent).toBe(`agent-${total - 1}`);
    expect(typeof first.nextCursor).toBe('string');
    const second = (await list(accessToken, first.nextCursor).expect(200)).body;
    expect(second.nextCursor).toBeNull();
    const agents = [...first.items, ...second.items].map((e: EventItem) => e.userAgent);
    expect(agents).toEqual(Array.from({ length: total }, (_, i) => `agent-${total - 1 - i}`));

    // Another user's cursor, a made-up one and a malformed one are refused, not served.
    const other = await signUpAndLogIn(app);
    const refused = await list(other.accessToken, first.nextCursor).expect(400);
    expect(refused.body.message).toMatch(/cursor/);
    await list(accessToken, '6f1c1f4e-3b8a-4d52-9a4e-0d6f2b7c9a11').expect(400);
    await list(accessToken, `${first.nextCursor}x`).expect(400);
    await list(accessToken, "' OR 1=1 --").expect(400);
    // Their own list still works for both.
    expect((await list(other.accessToken).expect(200)).body.items).toHaveLength(1);
    await request(http).get('/users/me/security-events').expect(401);
  });

  it('mails "new sign-in" for a new device or address, never for the first login or a known one', async () => {
    // A finished entry keeps only its kind (its personal data is erased): counted before and after.
    const newSignIns = async () =>
      Number((await db.query(`SELECT count(*) FROM pgboss.job WHERE name = 'mail' AND data->>'kind' = 'new-sign-in'`)).rows[0].count);
    const before = await newSignIns();
    const user = await signUp(app);
    await login(user.email, PASSWORD, FIREFOX, '198.51.100.7').expect(200); // first login: nothing to compare with
    await login(user.email, PASSWORD, FIREFOX, '198.51.100.7').expect(200); // known device and address
    await login(user.email, PASSWORD, SAFARI, '198.51.100.7').expect(200); // new device
    const mail = await smtp.waitForMail(user.email, { subject: NEW_SIGN_IN });
    expect(mail.mail.text).toContain('Safari on iOS');
    expect(mail.mail.text).toContain('198.51.100.7');
    expect(mail.mail.text).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(mail.mail.text).toContain(`${APP_URL}/account#sessions`);
    expect(mail.mail.text).toContain(`${APP_URL}/reset-password`);
    // The user agent itself never reaches the inbox: only a description from a fixed vocabulary.
    expect(mail.mail.text).not.toContain('AppleWebKit');

    await login(user.email, PASSWORD, SAFARI, '192.0.2.44').expect(200); // known device, new address
    await smtp.waitForMail(user.email, { subject: NEW_SIGN_IN, count: 2 });
    await login(user.email, PASSWORD, FIREFOX, '198.51.100.7').expect(200); // known again
    // A sentinel after the known login: once its mail is here, any mail the known login queued would be too.
    await request(http).post('/auth/password/forgot').send({ email: user.email }).expect(202);
    await smtp.waitForMail(user.email, { subject: 'Reset your password' });
    expect(smtp.mailsTo(user.email, NEW_SIGN_IN)).toHaveLength(2);
    // The mail is queued in the login's own transaction: the queue took exactly those two.
    expect((await newSignIns()) - before).toBe(2);
  });

  it('keeps events 90 days: the retention job deletes older ones and keeps the rest', async () => {
    const user = await signUpAndLogIn(app);
    await db.query(
      `INSERT INTO security_events (user_id, type, at) VALUES ($1, 'login', now() - interval '91 days'), ($1, 'login', now() - interval '89 days')`,
      [user.userId],
    );
    expect(await rowsOf(user.userId, 'login')).toBe(3);
    const report = await app.get(RetentionService).run();
    expect(report.removed.security_events).toBeGreaterThanOrEqual(1);
    expect(await rowsOf(user.userId, 'login')).toBe(2);
  });
});
