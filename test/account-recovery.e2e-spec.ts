import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { type ReceivedMail, TestSmtpServer } from './support/smtp-server.js';
import { until } from './support/until.js';

const APP_URL = 'https://app.example.com/todo';
const INVALID_LINK = 'This link is invalid, used or expired; ask for a new one';
const VERIFY_SUBJECT = 'Confirm your email address';
const RESET_SUBJECT = 'Reset your password';
const LINK = (path: string) =>
  new RegExp(`${APP_URL.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/${path}\\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`);
const VERIFY_LINK = LINK('verify-email');
const RESET_LINK = LINK('reset-password');

let counter = 0;
const newEmail = () => `recovery-${process.pid}-${Date.now()}-${counter++}@example.com`;
const PASSWORD = 'correct horse battery';
const MAIL_COOLDOWN = 1;

/**
 * When each address was last answered for a mail of each purpose (the cooldown started before that
 * answer), so a test can wait out the cooldown before asking again, however slow the machine.
 */
const lastAsked = new Map<string, number>();
const asked = (purpose: string, email: string) => lastAsked.set(`${purpose}:${email.toLowerCase()}`, Date.now());
async function afterCooldown(purpose: string, email: string): Promise<void> {
  const wait = (lastAsked.get(`${purpose}:${email.toLowerCase()}`) ?? 0) + MAIL_COOLDOWN * 1000 + 150 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** The token of the one link of `path` in the mail, checked to be the same in the text and the HTML part. */
function linkToken(received: ReceivedMail, pattern: RegExp): string {
  const inText = pattern.exec(received.mail.text ?? '');
  const inHtml = pattern.exec(typeof received.mail.html === 'string' ? received.mail.html : '');
  if (!inText || !inHtml) throw new Error(`no link matching ${pattern} in both parts of "${received.mail.subject}"`);
  expect(inHtml[1]).toBe(inText[1]);
  return inText[1];
}

describe('account recovery by mail', () => {
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  let http: ReturnType<NestFastifyApplication['getHttpServer']>;
  let db: pg.Client;

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    // One mail per purpose per address per MAIL_COOLDOWN: a second apart here, so tests can ask twice
    // (test/abuse.e2e-spec.ts holds the default).
    app = await createTestApp({
      SMTP_URL: smtp.url,
      APP_URL,
      MAIL_FROM: 'Todo API <no-reply@example.com>',
      QUEUE_POLL_INTERVAL_MS: '500',
      MAIL_COOLDOWN: String(MAIL_COOLDOWN),
    });
    http = app.getHttpServer();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await smtp?.stop();
  });

  const me = (accessToken: string) => request(http).get('/users/me').set('authorization', `Bearer ${accessToken}`);
  const login = (email: string, password: string) => request(http).post('/auth/login').send({ email, password });
  const verify = (token: unknown) => request(http).post('/auth/verify-email').send({ token });
  const requestVerification = (accessToken: string) =>
    request(http).post('/auth/verify-email/request').set('authorization', `Bearer ${accessToken}`);
  const forgot = (email: string) => request(http).post('/auth/password/forgot').send({ email });
  const reset = (token: unknown, newPassword: string) => request(http).post('/auth/password/reset').send({ token, newPassword });

  async function signup(email = newEmail()) {
    const res = await request(http).post('/auth/signup').send({ email, password: PASSWORD }).expect(201);
    asked('verify-email', email);
    const tokens = (await login(email, PASSWORD).expect(200)).body as { accessToken: string; refreshToken: string };
    return { id: res.body.id as string, email, ...tokens };
  }

  /** A reset link mailed to `email` after asking for it. */
  async function resetLinkFor(email: string): Promise<string> {
    const before = smtp.mailsTo(email, RESET_SUBJECT).length;
    await afterCooldown('password-reset', email);
    await forgot(email).expect(202);
    asked('password-reset', email);
    return linkToken(await smtp.waitForMail(email, { count: before + 1, subject: RESET_SUBJECT }), RESET_LINK);
  }

  /** The token of the `count`th verification mail to `email`. */
  async function verificationLink(email: string, count = 1): Promise<string> {
    return linkToken(await smtp.waitForMail(email, { count, subject: VERIFY_SUBJECT }), VERIFY_LINK);
  }

  /** The queue entries of one mail kind for one recipient or user. */
  async function mailJobs(field: 'email' | 'userId', value: string) {
    const { rows } = await db.query<{ id: string; state: string; retry_count: number }>(
      `SELECT id, state, retry_count FROM pgboss.job WHERE name = 'mail' AND data->>$1 = $2`,
      [field, value],
    );
    return rows;
  }

  describe('email verification', () => {
    it('signup mails a link in a text and an HTML part, and the link verifies the address once', async () => {
      const user = await signup();
      await expect(me(user.accessToken).expect(200)).resolves.toMatchObject({ body: { emailVerified: false } });

      const received = await smtp.waitForMail(user.email);
      expect(received.from).toBe('no-reply@example.com');
      expect(received.mail.subject).toBe(VERIFY_SUBJECT);
      expect(received.mail.text).toContain(user.email);
      expect(received.mail.html).toContain(`<a href="${APP_URL}/verify-email?token=`);
      const token = linkToken(received, VERIFY_LINK);

      const verified = await verify(token).expect(200);
      expect(verified.body).toMatchObject({ id: user.id, email: user.email, emailVerified: true });
      expect(Object.keys(verified.body)).not.toEqual(expect.arrayContaining(['passwordHash']));
      await expect(me(user.accessToken).expect(200)).resolves.toMatchObject({ body: { emailVerified: true } });

      const again = await verify(token).expect(400);
      expect(again.body).toEqual({ statusCode: 400, message: INVALID_LINK, error: 'Bad Request' });
    });

    it('mails a fresh link on request, which makes the earlier one stop working; once verified, asking again is a 409', async () => {
      const user = await signup();
      const first = await verificationLink(user.email);

      await afterCooldown('verify-email', user.email);
      await requestVerification(user.accessToken).expect(202);
      asked('verify-email', user.email);
      const second = await verificationLink(user.email, 2);
      expect(second).not.toBe(first);

      // API.md: one live link per purpose.
      await expect(verify(first).expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      await verify(second).expect(200);
      const conflict = await requestVerification(user.accessToken).expect(409);
      expect(conflict.body).toMatchObject({ statusCode: 409, message: 'The email address is already verified' });
    });

    it('asks for an access token to send a link', async () => {
      await requestVerification('not-a-token').expect(401);
      await request(http).post('/auth/verify-email/request').expect(401);
    });

    it('refuses unknown, expired and wrong-purpose tokens with one message that does not say which', async () => {
      const user = await signup();
      const token = await verificationLink(user.email);
      const unknown = randomBytes(32).toString('base64url');
      await expect(verify(unknown).expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      // A verification token is no reset token, and the other way round.
      await expect(reset(token, 'a brand new password').expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      const resetToken = await resetLinkFor(user.email);
      await expect(verify(resetToken).expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });

      // Expired: the row's expiry moved into the past, the token itself untouched.
      const hash = createHash('sha256').update(token).digest('hex');
      const moved = await db.query(`UPDATE link_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [hash]);
      expect(moved.rowCount).toBe(1);
      await expect(verify(token).expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      await expect(me(user.accessToken).expect(200)).resolves.toMatchObject({ body: { emailVerified: false } });
    });

    it('keeps no token in the database or the queue, only its SHA-256', async () => {
      const user = await signup();
      const token = await verificationLink(user.email);
      const { rows } = await db.query<{ token_hash: string; purpose: string; ttl: number }>(
        `SELECT token_hash, purpose, extract(epoch FROM expires_at - created_at)::int AS ttl FROM link_tokens WHERE user_id = $1`,
        [user.id],
      );
      expect(rows).toEqual([{ token_hash: createHash('sha256').update(token).digest('hex'), purpose: 'verify-email', ttl: 86400 }]);
      const inQueue = await db.query(`SELECT 1 FROM pgboss.job WHERE data::text LIKE '%' || $1 || '%'`, [token]);
      expect(inQueue.rowCount).toBe(0);
    });

    it.each([
      ['a missing token', {}],
      ['a short token', { token: 'abc' }],
      ['a token with characters outside base64url', { token: `${'a'.repeat(42)}=` }],
      ['a number', { token: 12345 }],
      ['an unknown field', { token: randomBytes(32).toString('base64url'), userId: 'x' }],
    ])('answers 400 to %s', async (_name, body) => {
      const res = await request(http).post('/auth/verify-email').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });

  describe('password reset', () => {
    it('sets the new password and logs out every device: every earlier access and refresh token refused', async () => {
      const user = await signup();
      const laptop = (await login(user.email, PASSWORD).expect(200)).body;
      const token = await resetLinkFor(user.email);

      await reset(token, 'a brand new password').expect(204);

      await login(user.email, PASSWORD).expect(401);
      const fresh = (await login(user.email, 'a brand new password').expect(200)).body;
      for (const device of [user, laptop]) {
        await me(device.accessToken).expect(401);
        await request(http).post('/auth/refresh').send({ refreshToken: device.refreshToken }).expect(401);
      }
      const sessions = await request(http).get('/auth/sessions').set('authorization', `Bearer ${fresh.accessToken}`).expect(200);
      expect(sessions.body).toHaveLength(1);
      await reset(token, 'yet another password').expect(400);
      await login(user.email, 'a brand new password').expect(200);
    });

    it('keeps only live links: issuing one deletes the spent and expired ones of that user', async () => {
      const user = await signup();
      const spent = await resetLinkFor(user.email);
      await reset(spent, 'a brand new password').expect(204);
      const live = await resetLinkFor(user.email);
      const { rows } = await db.query<{ token_hash: string }>(
        `SELECT token_hash FROM link_tokens WHERE user_id = $1 AND purpose = 'password-reset'`,
        [user.id],
      );
      expect(rows.map((r) => r.token_hash)).toEqual([createHash('sha256').update(live).digest('hex')]);
      await expect(reset(spent, 'another new password').expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      await reset(live, 'another new password').expect(204);
    });

    it('mails a link of the documented form, in a text and an HTML part, to a real account', async () => {
      const user = await signup();
      await forgot(user.email.toUpperCase()).expect(202);
      const received = await smtp.waitForMail(user.email, { subject: RESET_SUBJECT });
      expect(received.from).toBe('no-reply@example.com');
      expect(received.mail.text).toContain(user.email);
      expect(received.mail.html).toContain(`<a href="${APP_URL}/reset-password?token=`);
      expect(linkToken(received, RESET_LINK)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('refuses a link issued before a password change, and one issued after works', async () => {
      const user = await signup();
      const before = await resetLinkFor(user.email);
      await request(http)
        .post('/users/me/password')
        .set('authorization', `Bearer ${user.accessToken}`)
        .send({ currentPassword: PASSWORD, newPassword: 'changed password' })
        .expect(200);
      await expect(reset(before, 'a brand new password').expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      await login(user.email, 'changed password').expect(200);

      const after = await resetLinkFor(user.email);
      await reset(after, 'a brand new password').expect(204);
      await login(user.email, 'a brand new password').expect(200);
    });

    it('refuses a link issued before another reset', async () => {
      const user = await signup();
      const older = await resetLinkFor(user.email);
      const newer = await resetLinkFor(user.email);
      await reset(newer, 'first new password').expect(204);
      await reset(older, 'second new password').expect(400);
      await login(user.email, 'first new password').expect(200);
    });

    it('lets exactly one of two concurrent resets with one link win', async () => {
      const user = await signup();
      const token = await resetLinkFor(user.email);
      const [a, b] = await Promise.all([reset(token, 'password of A'), reset(token, 'password of B')]);
      expect([a.status, b.status].sort()).toEqual([204, 400]);
      const [winner, loser] = a.status === 204 ? ['password of A', 'password of B'] : ['password of B', 'password of A'];
      await login(user.email, winner).expect(200);
      await login(user.email, loser).expect(401);
    });

    it('refuses an expired link', async () => {
      const user = await signup();
      const token = await resetLinkFor(user.email);
      const hash = createHash('sha256').update(token).digest('hex');
      const { rows } = await db.query(
        `UPDATE link_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1 AND purpose = 'password-reset' RETURNING 1`,
        [hash],
      );
      expect(rows).toHaveLength(1);
      await expect(reset(token, 'a brand new password').expect(400)).resolves.toMatchObject({ body: { message: INVALID_LINK } });
      await login(user.email, PASSWORD).expect(200);
    });

    it('answers 202 for an unknown email and mails nothing', async () => {
      const unknown = newEmail();
      const user = await signup();
      const since = (await db.query<{ now: Date }>('SELECT now()')).rows[0].now;
      const [forUnknown, forKnown] = [await forgot(unknown).expect(202), await forgot(user.email).expect(202)];
      expect(forUnknown.body).toEqual(forKnown.body);
      // The known account's mail, queued after, arrives; the unknown one's job ends without one.
      await smtp.waitForMail(user.email, { subject: RESET_SUBJECT });
      const resetJobs = async () =>
        (
          await db.query<{ state: string; data: object }>(
            `SELECT state, data FROM pgboss.job WHERE name = 'mail' AND data->>'kind' = 'password-reset' AND created_on >= $1`,
            [since],
          )
        ).rows;
      await until(async () => {
        const jobs = await resetJobs();
        return jobs.length === 2 && jobs.every((job) => job.state === 'completed');
      }, 'both reset jobs to complete');
      expect(smtp.mailsTo(unknown)).toEqual([]);
      // Issue 26: once finished, no entry keeps the address that was typed in.
      await expect(mailJobs('email', unknown)).resolves.toEqual([]);
      expect((await resetJobs()).map((job) => job.data)).toEqual([
        { kind: 'password-reset', erased: true },
        { kind: 'password-reset', erased: true },
      ]);
    });

    it.each([
      ['a malformed token', { token: 'nope', newPassword: 'a brand new password' }],
      ['a password under 8 bytes', { token: randomBytes(32).toString('base64url'), newPassword: 'short' }],
      ['a password over 72 bytes', { token: randomBytes(32).toString('base64url'), newPassword: 'é'.repeat(37) }],
      ['a missing password', { token: randomBytes(32).toString('base64url') }],
    ])('answers 400 to %s', async (_name, body) => {
      const res = await request(http).post('/auth/password/reset').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });

    it.each([['not-an-email'], [''], [`${'a'.repeat(250)}@example.com`]])('answers 400 to the email %j', async (email) => {
      await forgot(email).expect(400);
    });
  });

  describe('delivery', () => {
    it('delivers a mail queued while the SMTP server is down once it is back', async () => {
      await smtp.stop();
      try {
        const user = await signup();
        // The request neither waited for nor failed because of the mail server; an attempt has failed since.
        // pg-boss puts a failed entry in state 'retry' until its next attempt comes due.
        await until(async () => (await mailJobs('userId', user.id)).some((job) => job.state === 'retry'), 'a failed delivery attempt');
        // Its data is erased once delivered (issue 26): from here on the entry is found by its id.
        const [{ id }] = await mailJobs('userId', user.id);
        expect(smtp.mailsTo(user.email)).toEqual([]);
        await smtp.start();
        const token = linkToken(await smtp.waitForMail(user.email, { timeoutMs: 45_000 }), VERIFY_LINK);
        await verify(token).expect(200);
        // It was a retry that delivered it, once.
        const { rows } = await db.query<{ retry_count: number }>('SELECT retry_count FROM pgboss.job WHERE id = $1', [id]);
        expect(rows[0].retry_count).toBeGreaterThanOrEqual(1);
        expect(smtp.mailsTo(user.email)).toHaveLength(1);
      } finally {
        await smtp.start();
      }
    }, 60_000);
  });

  describe('rate limits', () => {
    let limited: NestFastifyApplication;
    beforeAll(async () => {
      limited = await createTestApp({ SMTP_URL: smtp.url, APP_URL, QUEUE_POLL_INTERVAL_MS: '500', AUTH_RATE_LIMIT: '2' });
    });
    afterAll(async () => {
      await limited?.close();
    });

    /** Three calls against a limit of two: accepted until the limit, then 429 with Retry-After. */
    async function threeTimes(call: () => request.Test, accepted: number) {
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 3; i++) {
        const res = await call();
        statuses.push(res.status);
        if (res.status === 429) retryAfter = res.headers['retry-after'];
      }
      expect(statuses.at(-1)).toBe(429);
      expect(statuses.filter((s) => s !== 429).every((s) => s === accepted)).toBe(true);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    }

    it('limits forgot-password like login', async () => {
      await threeTimes(() => request(limited.getHttpServer()).post('/auth/password/forgot').send({ email: newEmail() }), 202);
    });

    it('limits verification requests like login', async () => {
      const user = await signup();
      await threeTimes(
        () => request(limited.getHttpServer()).post('/auth/verify-email/request').set('authorization', `Bearer ${user.accessToken}`),
        202,
      );
    });
  });

  it('documents every route in the OpenAPI document, with examples', async () => {
    const { body } = await request(http).get('/docs-json').expect(200);
    const expected: [string, string[]][] = [
      ['/auth/verify-email/request', ['202', '401', '409', '429']],
      ['/auth/verify-email', ['200', '400']],
      ['/auth/password/forgot', ['202', '400', '429']],
      ['/auth/password/reset', ['204', '400']],
    ];
    for (const [path, statuses] of expected) {
      expect(Object.keys(body.paths[path]?.post?.responses ?? {})).toEqual(expect.arrayContaining(statuses));
    }
    expect(body.paths['/auth/password/forgot'].post.responses['202'].content['application/json'].example).toEqual({
      message: 'If an account has this address, a link is on its way to it',
    });
    expect(body.components.schemas.VerifyEmailDto.properties.token.example).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(body.components.schemas.ForgotPasswordDto.properties.email.example).toContain('@');
    expect(body.components.schemas.ResetPasswordDto.required).toEqual(expect.arrayContaining(['token', 'newPassword']));
    expect(body.components.schemas.UserProfileDto.properties.emailVerified.type).toBe('boolean');
  });
});
