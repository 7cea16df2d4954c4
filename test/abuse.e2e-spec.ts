import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request, { type Response } from 'supertest';
import { validateEnvironment } from '../src/config/environment.js';
import { createTestApp } from './support/app.js';
import { bearer, logIn, newEmail, PASSWORD, type SignedInUser, signUp, signUpAndLogIn } from './support/auth.js';
import { FakeVonage } from './support/fake-vonage.js';
import { newMobileNumber } from './support/phone.js';
import { type ReceivedMail, TestSmtpServer } from './support/smtp-server.js';
import { until } from './support/until.js';

/**
 * Issue 21, "Abuse resistance": each attack of its table, through HTTP against the production app
 * factory (real Postgres, the test SMTP server, the fake Vonage), refused; and the legitimate
 * request beside it still working. Limits are the defaults of API.md unless a block says otherwise.
 */

const PROXIES = '127.0.0.1,::1,::ffff:127.0.0.1';
const RESET_SUBJECT = 'Reset your password';
const VERIFY_SUBJECT = 'Confirm your email address';
const APP_URL = 'https://app.example.com';
const TOKEN = /\?token=([A-Za-z0-9_-]{43})/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const linkToken = (mail: ReceivedMail) => TOKEN.exec(mail.mail.text ?? '')![1];

/** A 429 (or 503) as API.md promises it: Retry-After in seconds and a message naming the limit. */
function expectRefusal(res: Response, limit: string, status = 429): void {
  expect(res.status).toBe(status);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(res.body.message).toContain(limit);
}

describe('abuse resistance (issue 21)', () => {
  let smtp: TestSmtpServer;
  let fake: FakeVonage;
  let app: NestFastifyApplication;
  let http: ReturnType<NestFastifyApplication['getHttpServer']>;
  let db: pg.Client;
  let outside: Record<string, string>;

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    fake = await FakeVonage.start();
    // Every app of this block delivers to the same SMTP server and fake Vonage: they share the
    // queue, so any of their workers may be the one that sends a message.
    outside = {
      SMTP_URL: smtp.url,
      APP_URL,
      SMS_PROVIDER: 'vonage',
      VONAGE_API_KEY: 'key123',
      VONAGE_API_SECRET: 'secret456',
      VONAGE_FROM: 'TodoApi',
      VONAGE_API_URL: fake.url,
      QUEUE_POLL_INTERVAL_MS: '500',
    };
    app = await createTestApp({
      ...outside,
      // The tests' loopback client plays the proxy: X-Forwarded-For names the client, as behind a load balancer.
      TRUST_PROXY: PROXIES,
    });
    http = app.getHttpServer();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  /**
   * Apps with other settings, closed only at the end: closing a second app in this process ends
   * the pool the first one uses (TypeORM's shared driver), so none is closed while `app` serves.
   */
  const others: NestFastifyApplication[] = [];
  afterAll(async () => {
    await db?.end();
    for (const other of others) await other.close();
    await app?.close();
    await fake?.stop();
    await smtp?.stop();
  });

  const login = (email: string, password: string, from = '198.51.100.1') =>
    request(http).post('/auth/login').set('x-forwarded-for', from).send({ email, password });
  const patchMe = (user: SignedInUser, body: object) => request(http).patch('/users/me').set(bearer(user.accessToken)).send(body);
  const createTodo = (user: SignedInUser, title: string) => request(http).post('/todos').set(bearer(user.accessToken)).send({ title });
  const forgot = (email: string, from = '198.51.100.1') =>
    request(http).post('/auth/password/forgot').set('x-forwarded-for', from).send({ email });

  /**
   * Texts that reached the provider for `number`, once the sms queue holds nothing still to send
   * (a finished entry's number is erased, so the provider's record is what counts).
   */
  async function textsQueuedTo(number: string): Promise<number> {
    await until(async () => {
      const { rows } = await db.query(`SELECT 1 FROM pgboss.job WHERE name = 'sms' AND state IN ('created', 'retry', 'active') LIMIT 1`);
      return rows.length === 0 ? true : undefined;
    }, 'the sms queue to drain');
    return fake.requestsTo(number).length;
  }

  /** Signs up, and verifies the address with the link the signup mailed. */
  async function verifiedUser(): Promise<SignedInUser> {
    const user = await signUpAndLogIn(app);
    const mail = await smtp.waitForMail(user.email, { subject: VERIFY_SUBJECT });
    await request(http)
      .post('/auth/verify-email')
      .send({ token: linkToken(mail) })
      .expect(200);
    return user;
  }

  /** Sets `number` and proves it with the code texted to it, as a person would. */
  async function proveNumber(user: SignedInUser, number: string): Promise<void> {
    await patchMe(user, { phoneNumber: number }).expect(200);
    const text = await until(() => (fake.requestsTo(number)[0]?.body as { text?: string } | undefined)?.text, 'the code text');
    await request(http)
      .post('/users/me/phone/verify')
      .set(bearer(user.accessToken))
      .send({ code: /\d{6}/.exec(text)![0] })
      .expect(200);
  }

  async function metric(limit: string): Promise<number> {
    const { text } = await request(http).get('/metrics').expect(200);
    return Number(new RegExp(`^limit_refusals_total\\{limit="${limit}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  }

  describe('SMS pumping / smishing relay', () => {
    it('an unverified account cannot set a shared-cost number or any number, and its 25 phishing todos queue no text', async () => {
      const attacker = await signUpAndLogIn(app);
      const shared = await patchMe(attacker, { phoneNumber: '+882340000001', smsNotifications: true }).expect(400);
      expect(shared.body.message).toContain('phoneNumber');
      const mobile = newMobileNumber();
      await patchMe(attacker, { phoneNumber: mobile, smsNotifications: true }).expect(403);
      for (let i = 0; i < 25; i++) await createTodo(attacker, `Your parcel is held: pay at https://evil.example/${i}`).expect(201);
      await expect(textsQueuedTo('+882340000001')).resolves.toBe(0);
      await expect(textsQueuedTo(mobile)).resolves.toBe(0);

      // The legitimate path: verified address, number proved by its code, then a todo is texted.
      const owner = await verifiedUser();
      const number = newMobileNumber();
      await proveNumber(owner, number);
      await patchMe(owner, { smsNotifications: true }).expect(200);
      await createTodo(owner, 'Renew passport').expect(201);
      await until(
        () => fake.requestsTo(number).find((r) => (r.body as { text: string }).text === 'New todo: Renew passport'),
        'the todo text',
      );
    });

    it('texts one user and one number at most SMS_DAILY_LIMIT (20) times a day; past it todos are still 201 and the profile says until when', async () => {
      const owner = await verifiedUser();
      const number = newMobileNumber();
      await proveNumber(owner, number); // text 1: the code
      await patchMe(owner, { smsNotifications: true }).expect(200);
      for (let i = 0; i < 19; i++) await createTodo(owner, `todo ${i}`).expect(201); // texts 2..20
      await expect(
        request(http)
          .get('/users/me')
          .set(bearer(owner.accessToken))
          .then((r) => r.body.smsSuppressedUntil),
      ).resolves.toBeNull();
      const before = await metric('sms-per-user-daily');
      for (let i = 0; i < 5; i++) await createTodo(owner, `past the cap ${i}`).expect(201);
      await expect(textsQueuedTo(number)).resolves.toBe(20);
      const profile = (await request(http).get('/users/me').set(bearer(owner.accessToken)).expect(200)).body;
      expect(Date.parse(profile.smsSuppressedUntil)).toBeGreaterThan(Date.now() + 23 * 3600_000);
      // GET's document is rendered by Postgres, PATCH's from the row: every field the same, the time too.
      await expect(patchMe(owner, {}).then((r) => r.body)).resolves.toEqual(profile);
      await expect(metric('sms-per-user-daily')).resolves.toBeGreaterThan(before);

      // The number's own count: another verified account that sets the same number gets no code through.
      const other = await verifiedUser();
      const set = await patchMe(other, { phoneNumber: number }).expect(200);
      expect(set.body).toMatchObject({ phoneNumber: number, phoneVerified: false });
      expect(set.body.smsSuppressedUntil).not.toBeNull();
      await expect(textsQueuedTo(number)).resolves.toBe(20);
    });

    it('limits POST /todos to TODO_RATE_LIMIT (60) per user per minute; another user still creates', async () => {
      const flooder = await signUpAndLogIn(app);
      const statuses: number[] = [];
      for (let i = 0; i < 60; i++) statuses.push((await createTodo(flooder, `t${i}`)).status);
      expect(statuses).toEqual(Array(60).fill(201));
      expectRefusal(await createTodo(flooder, 'one too many'), 'todos-per-user');
      await createTodo(await signUpAndLogIn(app), 'mine').expect(201);
    });
  });

  describe('password guessing with a stolen access token', () => {
    const changePassword = (user: SignedInUser, currentPassword: string) =>
      request(http).post('/users/me/password').set(bearer(user.accessToken)).send({ currentPassword, newPassword: 'a whole new password' });
    const deleteAccount = (user: SignedInUser, password: string) =>
      request(http).delete('/users/me').set(bearer(user.accessToken)).send({ password });

    it('answers 429 after 5 wrong passwords per user, on POST /users/me/password and DELETE /users/me alike, even for the right one', async () => {
      const victim = await signUpAndLogIn(app);
      const before = await metric('password-check-per-user');
      for (let i = 0; i < 3; i++) await changePassword(victim, `guess number ${i}`).expect(403);
      for (let i = 3; i < 5; i++) await deleteAccount(victim, `guess number ${i}`).expect(403);
      expectRefusal(await changePassword(victim, 'guess number 5'), 'password-check-per-user');
      expectRefusal(await deleteAccount(victim, PASSWORD), 'password-check-per-user');
      expectRefusal(await changePassword(victim, PASSWORD), 'password-check-per-user');
      await expect(metric('password-check-per-user')).resolves.toBeGreaterThanOrEqual(before + 3);
      // The guesses changed nothing, and the owner can still log in (and reset by mail).
      await login(victim.email, PASSWORD).expect(200);
    });

    it('still lets a user who mistyped four times change the password, and counts per user', async () => {
      const user = await signUpAndLogIn(app);
      for (let i = 0; i < 4; i++) await changePassword(user, `typo number ${i}`).expect(403);
      await changePassword(user, PASSWORD).expect(200);
      const other = await signUpAndLogIn(app);
      await deleteAccount(other, PASSWORD).expect(204);
    });
  });

  describe('inbox flooding', () => {
    it('sends one reset mail for 5 addresses × 11 requests, answering 202 to all, and its one link works', async () => {
      const user = await signUp(app);
      const statuses: number[] = [];
      for (let client = 1; client <= 5; client++) {
        for (let i = 0; i < 11; i++) statuses.push((await forgot(user.email, `203.0.113.${client}`)).status);
      }
      expect(statuses).toEqual(Array(55).fill(202));
      const mail = await smtp.waitForMail(user.email, { subject: RESET_SUBJECT });
      // Long enough for the worker (polling every 500 ms) to have sent anything else that was queued.
      await sleep(2_500);
      expect(smtp.mailsTo(user.email, RESET_SUBJECT)).toHaveLength(1);
      const { rows } = await db.query(
        `SELECT 1 FROM link_tokens WHERE user_id = $1 AND purpose = 'password-reset' AND used_at IS NULL AND expires_at > now()`,
        [user.userId],
      );
      expect(rows).toHaveLength(1);
      await request(http)
        .post('/auth/password/reset')
        .send({ token: linkToken(mail), newPassword: 'my new password' })
        .expect(204);
      await login(user.email, 'my new password').expect(200);
    });

    it('answers verify-email/request with 429 within the cooldown, from any address; the link already sent works', async () => {
      const user = await signUpAndLogIn(app);
      for (let client = 1; client <= 3; client++) {
        for (let i = 0; i < 3; i++) {
          const res = await request(http)
            .post('/auth/verify-email/request')
            .set('x-forwarded-for', `203.0.114.${client}`)
            .set(bearer(user.accessToken));
          expectRefusal(res, 'mail-per-address-and-purpose');
        }
      }
      const mail = await smtp.waitForMail(user.email, { subject: VERIFY_SUBJECT });
      await sleep(2_000);
      expect(smtp.mailsTo(user.email)).toHaveLength(1);
      await request(http)
        .post('/auth/verify-email')
        .send({ token: linkToken(mail) })
        .expect(200);
    });

    describe('with a one-second cooldown and MAIL_DAILY_LIMIT=3', () => {
      let mailApp: NestFastifyApplication;
      beforeAll(async () => {
        mailApp = await createTestApp({ ...outside, MAIL_COOLDOWN: '1', MAIL_DAILY_LIMIT: '3' });
        others.push(mailApp);
      });

      it('caps mail per address per day across purposes, and a new reset link kills the earlier ones', async () => {
        const user = await signUpAndLogIn(mailApp); // mail 1: verification
        const ask = () => request(mailApp.getHttpServer()).post('/auth/password/forgot').send({ email: user.email });
        await ask().expect(202); // mail 2
        const older = linkToken(await smtp.waitForMail(user.email, { subject: RESET_SUBJECT }));
        await sleep(1_200);
        await ask().expect(202); // mail 3
        const newer = linkToken(await smtp.waitForMail(user.email, { subject: RESET_SUBJECT, count: 2 }));
        await sleep(1_200);
        await ask().expect(202); // held back: nothing to learn from the answer
        expectRefusal(
          await request(mailApp.getHttpServer()).post('/auth/verify-email/request').set(bearer(user.accessToken)),
          'mail-per-address-daily',
        );
        await sleep(2_000);
        expect(smtp.mailsTo(user.email)).toHaveLength(3);

        const reset = (token: string) =>
          request(mailApp.getHttpServer()).post('/auth/password/reset').send({ token, newPassword: 'fresh password' });
        await reset(older).expect(400);
        await reset(newer).expect(204);
      });
    });
  });

  describe('distributed guessing', () => {
    it('refuses logins to one account after LOGIN_ACCOUNT_LIMIT (10) failures from 10 addresses, even the right password; a reset clears it', async () => {
      const victim = await signUp(app);
      for (let i = 1; i <= 10; i++) await login(victim.email, `wrong guess ${i}`, `192.0.2.${i}`).expect(401);
      const locked = await login(victim.email, PASSWORD, '192.0.2.99');
      expectRefusal(locked, 'login-per-account');
      expect(locked.body.message).toContain('/auth/password/forgot');
      // Another account from the same addresses is untouched.
      const bystander = await signUp(app);
      await login(bystander.email, PASSWORD, '192.0.2.1').expect(200);

      // The owner resets by mail and is let in at once.
      await forgot(victim.email).expect(202);
      const mail = await smtp.waitForMail(victim.email, { subject: RESET_SUBJECT });
      await request(http)
        .post('/auth/password/reset')
        .send({ token: linkToken(mail), newPassword: 'owner is back' })
        .expect(204);
      await login(victim.email, 'owner is back', '192.0.2.100').expect(200);
    });

    it('answers an unknown email the same way: 401 ten times, then 429', async () => {
      const unknown = newEmail();
      for (let i = 1; i <= 10; i++) await login(unknown, `wrong guess ${i}`, `192.0.3.${i}`).expect(401);
      expectRefusal(await login(unknown, 'wrong guess 11', '192.0.3.99'), 'login-per-account');
    });
  });

  describe('pre-hijacking', () => {
    it('cannot text the victim: the attacker cannot set a number, and a number set earlier goes with the reset that proves the address', async () => {
      const email = newEmail();
      const attacker = await signUpAndLogIn(app, { email, password: 'attacker password' });
      await patchMe(attacker, { phoneNumber: newMobileNumber(), smsNotifications: true }).expect(403);
      // An account pre-registered before this release could hold a number with texts on.
      const attackerNumber = newMobileNumber();
      await db.query(`UPDATE users SET phone_number = $2, phone_verified_at = now(), sms_notifications = true WHERE id = $1`, [
        attacker.userId,
        attackerNumber,
      ]);

      await forgot(email).expect(202);
      const mail = await smtp.waitForMail(email, { subject: RESET_SUBJECT });
      await request(http)
        .post('/auth/password/reset')
        .send({ token: linkToken(mail), newPassword: 'victim password' })
        .expect(204);
      const victim = await logIn(app, email, 'victim password');
      const profile = (await request(http).get('/users/me').set(bearer(victim.accessToken)).expect(200)).body;
      expect(profile).toMatchObject({ emailVerified: true, phoneNumber: null, phoneVerified: false, smsNotifications: false });
      await request(http).get('/users/me').set(bearer(attacker.accessToken)).expect(401);
      await request(http).post('/auth/refresh').send({ refreshToken: attacker.refreshToken }).expect(401);
      await request(http).post('/todos').set(bearer(victim.accessToken)).send({ title: 'my secret plans' }).expect(201);
      await expect(textsQueuedTo(attackerNumber)).resolves.toBe(0);
    });

    it('keeps the phone settings of an account whose address was already verified', async () => {
      const owner = await verifiedUser();
      const number = newMobileNumber();
      await proveNumber(owner, number);
      await patchMe(owner, { smsNotifications: true }).expect(200);
      await forgot(owner.email).expect(202);
      const mail = await smtp.waitForMail(owner.email, { subject: RESET_SUBJECT });
      await request(http)
        .post('/auth/password/reset')
        .send({ token: linkToken(mail), newPassword: 'still the owner' })
        .expect(204);
      const again = await logIn(app, owner.email, 'still the owner');
      const profile = (await request(http).get('/users/me').set(bearer(again.accessToken)).expect(200)).body;
      expect(profile).toMatchObject({ phoneNumber: number, phoneVerified: true, smsNotifications: true });
    });
  });

  describe('proxy header', () => {
    const sessionIp = async (forwarded: string) => {
      const user = await signUp(app);
      const res = await login(user.email, PASSWORD, forwarded).expect(200);
      const sessions = await request(http).get('/auth/sessions').set(bearer(res.body.accessToken)).expect(200);
      return sessions.body.find((s: { current: boolean }) => s.current).ip as string;
    };

    it.each([
      ['70 characters', `${'1'.repeat(70)}`],
      ['a script tag', '<script>alert(1)</script>'],
      ['a hostname', 'proxy.internal'],
      ['an IPv6 address with a long zone', `fe80::1%${'x'.repeat(60)}`],
    ])('ignores a forwarded address that is %s in favour of the connection’s, never a 500', async (_, forwarded) => {
      const ip = await sessionIp(forwarded);
      expect(['127.0.0.1', '::1', '::ffff:127.0.0.1']).toContain(ip);
    });

    it('still takes a forwarded IP address from a trusted proxy', async () => {
      await expect(sessionIp('198.51.100.77')).resolves.toBe('198.51.100.77');
    });

    it('refuses TRUST_PROXY=true in production at start-up with one line, and accepts addresses or a hop count', async () => {
      const start = createTestApp({ NODE_ENV: 'production', TRUST_PROXY: 'true' });
      await expect(start).rejects.toThrow(/^Invalid configuration: TRUST_PROXY=true [^\n]+hop count$/);
      expect(() => validateEnvironment({ ...process.env, NODE_ENV: 'production', TRUST_PROXY: '10.0.0.0/8' })).not.toThrow();
      expect(() => validateEnvironment({ ...process.env, NODE_ENV: 'production', TRUST_PROXY: '1' })).not.toThrow();
      expect(() => validateEnvironment({ ...process.env, NODE_ENV: 'development', TRUST_PROXY: 'true' })).not.toThrow();
    });
  });

  describe('exposure', () => {
    it.each([
      ['a quoted local part with CR/LF', '"a\r\nBcc: x"@example.com'],
      ['a quoted local part', '"john doe"@example.com'],
      ['a control character', 'a\u0007b@example.com'],
      ['more than 254 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(59)}.io`],
    ])('refuses an email with %s at signup and forgot (400)', async (_, email) => {
      await request(http).post('/auth/signup').send({ email, password: PASSWORD }).expect(400);
      await forgot(email).expect(400);
    });

    it('still accepts an ordinary address, and one of exactly 254 characters', async () => {
      await request(http).post('/auth/signup').send({ email: newEmail(), password: PASSWORD }).expect(201);
      const long = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.io`;
      expect(long).toHaveLength(254);
      await request(http).post('/auth/signup').send({ email: long, password: PASSWORD }).expect(201);
    });

    describe('in production', () => {
      const prod = others;

      it('answers /metrics with 404 unless METRICS_TOKEN is set, and serves it to the token when it is', async () => {
        const open = await createTestApp({ ...outside, NODE_ENV: 'production' });
        prod.push(open);
        await request(open.getHttpServer()).get('/metrics').expect(404);
        const guarded = await createTestApp({ ...outside, NODE_ENV: 'production', METRICS_TOKEN: 'a-metrics-token-for-e2e' });
        prod.push(guarded);
        await request(guarded.getHttpServer()).get('/metrics').expect(401);
        await request(guarded.getHttpServer()).get('/metrics').set(bearer('a-metrics-token-for-e2e')).expect(200);
      });
    });
  });
});

/**
 * bcrypt at its production cost (12 rounds), so one check takes long enough for a flood to pile
 * up behind it. The per-user failure limit is raised here, so what refuses the flood is the
 * one-check-in-flight rule alone (the limit would otherwise stop it after 5).
 */
describe('stalling everyone’s login (bcrypt at 12 rounds)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ BCRYPT_ROUNDS: '12', PASSWORD_CHECK_LIMIT: '1000', BCRYPT_QUEUE_LIMIT: '4' });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('runs one of 40 parallel password checks by one user and refuses the rest at once (429); another user logs in meanwhile', async () => {
    const flooder = await signUpAndLogIn(app);
    const honest = await signUp(app);
    const flood = Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(app.getHttpServer())
          .post('/users/me/password')
          .set(bearer(flooder.accessToken))
          .send({ currentPassword: `wrong guess ${i}`, newPassword: 'whatever new password' }),
      ),
    );
    const honestLogin = request(app.getHttpServer()).post('/auth/login').send({ email: honest.email, password: PASSWORD });
    const [responses, login] = await Promise.all([flood, honestLogin]);
    expect(login.status).toBe(200);
    const refused = responses.filter((r) => r.status === 429);
    expect(responses.every((r) => r.status === 403 || r.status === 429)).toBe(true);
    // Without the rule all 40 would be bcrypt compares answering 403. With it, only the checks that
    // start after the previous one finished run: a handful on the slowest machine.
    expect(refused.length).toBeGreaterThanOrEqual(30);
    for (const res of refused) expectRefusal(res, 'password-check-in-flight');
  }, 60_000);

  it('answers 503 with Retry-After: 1 at once when the bcrypt queue is full, and logs in again afterwards', async () => {
    const user = await signUp(app);
    const burst = await Promise.all(
      Array.from({ length: 16 }, () =>
        request(app.getHttpServer()).post('/auth/login').send({ email: newEmail(), password: 'a wrong password' }),
      ),
    );
    const busy = burst.filter((r) => r.status === 503);
    expect(burst.every((r) => r.status === 401 || r.status === 503)).toBe(true);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (const res of busy) {
      expectRefusal(res, 'bcrypt-queue', 503);
      expect(res.headers['retry-after']).toBe('1');
    }
    await request(app.getHttpServer()).post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
  }, 60_000);
});
