import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';
import pg from 'pg';
import request from 'supertest';
import type { TokenFormat } from '../src/auth/tokens/key-files.js';
import { createTestApp } from './support/app.js';
import { bearer, expectInvalidToken, me, newEmail, PASSWORD, refresh, refreshCookie, signUp, type TokenPair } from './support/auth.js';
import { SecurityEvents } from '../src/events/security-events.js';
import { TestSmtpServer } from './support/smtp-server.js';
import { claimsOf, formatOf } from './support/tokens.js';
import { Authenticator } from './support/totp.js';

type Http = ReturnType<NestFastifyApplication['getHttpServer']>;

const MFA_ON = 'Two-factor authentication is on';
const MFA_OFF = 'Two-factor authentication is off';

interface Enrolled {
  userId: string;
  email: string;
  /** The session the user enrolled from (a password-only one). */
  pair: TokenPair;
  app: Authenticator;
  recoveryCodes: string[];
}

const login = (http: Http, email: string, password = PASSWORD, userAgent = 'jest') =>
  request(http).post('/auth/login').set('user-agent', userAgent).send({ email, password });
const loginMfa = (http: Http, body: Record<string, unknown>, userAgent = 'jest') =>
  request(http).post('/auth/login/mfa').set('user-agent', userAgent).send(body);
const sessionsOf = async (http: Http, accessToken: string) =>
  (await request(http).get('/auth/sessions').set(bearer(accessToken)).expect(200)).body as {
    id: string;
    amr: string[];
    current: boolean;
  }[];

/** A new user with TOTP enabled, through the routes, the codes computed from the secret the service showed. */
async function enrol(http: Http): Promise<Enrolled> {
  const email = newEmail();
  const userId = (await request(http).post('/auth/signup').send({ email, password: PASSWORD }).expect(201)).body.id as string;
  const pair = (await login(http, email).expect(200)).body as TokenPair;
  const setup = await request(http).post('/auth/mfa/totp/setup').set(bearer(pair.accessToken)).send({ password: PASSWORD }).expect(200);
  const app = new Authenticator(setup.body.secret);
  const enabled = await request(http)
    .post('/auth/mfa/totp/enable')
    .set(bearer(pair.accessToken))
    .send({ code: await app.next() })
    .expect(200);
  return { userId, email, pair, app, recoveryCodes: enabled.body.recoveryCodes };
}

/** The password step of a login for a user with MFA on: its mfaToken. */
async function mfaTokenFor(http: Http, email: string): Promise<string> {
  const res = await login(http, email).expect(200);
  expect(res.body).toEqual({ mfaRequired: true, mfaToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), mfaTokenExpiresIn: 300 });
  return res.body.mfaToken;
}

/** Both steps of a login, with a fresh code. */
async function fullLogin(http: Http, user: Enrolled, userAgent = 'jest'): Promise<TokenPair> {
  const mfaToken = await mfaTokenFor(http, user.email);
  return (await loginMfa(http, { mfaToken, code: await user.app.next() }, userAgent).expect(200)).body;
}

describe.each<[TokenFormat]>([['jwt'], ['paseto']])('second factor (TOTP), TOKEN_FORMAT=%s', (format) => {
  let smtp: TestSmtpServer;
  let nest: NestFastifyApplication;
  let http: Http;
  let db: pg.Client;

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    nest = await createTestApp({ TOKEN_FORMAT: format, SMTP_URL: smtp.url, QUEUE_POLL_INTERVAL_MS: '500' });
    http = nest.getHttpServer();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await nest?.close();
    await smtp?.stop();
  });

  it('enrols with the password and a first code; login then needs the code, and the pair carries amr ["pwd","otp"]', async () => {
    const { email } = await signUp(nest);
    const first = (await login(http, email, PASSWORD, 'enrolling').expect(200)).body as TokenPair;
    const auth = bearer(first.accessToken);
    expect(claimsOf(first.accessToken).amr).toEqual(['pwd']);

    await request(http).post('/auth/mfa/totp/setup').set(auth).send({ password: 'not the password' }).expect(403);
    const setup = await request(http).post('/auth/mfa/totp/setup').set(auth).send({ password: PASSWORD }).expect(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(setup.body.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({ secret: setup.body.secret, algorithm: 'SHA1', digits: '6', period: '30' });
    expect(setup.body.qrSvg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
    // Not on until a correct code proves the app has the secret.
    await login(http, email)
      .expect(200)
      .expect((res) => expect(res.body.accessToken).toBeDefined());
    expect((await me(nest, first.accessToken).expect(200)).body.mfaEnabled).toBe(false);

    const app = new Authenticator(setup.body.secret);
    await request(http).post('/auth/mfa/totp/enable').set(auth).send({ code: app.wrong() }).expect(400);
    await request(http).post('/auth/mfa/totp/enable').set(auth).send({ code: 'abc' }).expect(400);
    const enabled = await request(http)
      .post('/auth/mfa/totp/enable')
      .set(auth)
      .send({ code: await app.next() })
      .expect(200);
    expect(enabled.body.recoveryCodes).toHaveLength(10);
    expect(new Set(enabled.body.recoveryCodes).size).toBe(10);
    expect((await me(nest, first.accessToken).expect(200)).body.mfaEnabled).toBe(true);
    await request(http).post('/auth/mfa/totp/setup').set(auth).send({ password: PASSWORD }).expect(409);

    // The password alone: no pair, no cookie, no session.
    const sessionsBefore = await sessionsOf(http, first.accessToken);
    const step1 = await login(http, email, PASSWORD, 'second-factor');
    expect(step1.status).toBe(200);
    expect(step1.body).toEqual({ mfaRequired: true, mfaToken: expect.any(String), mfaTokenExpiresIn: 300 });
    expect(refreshCookie(step1)).toBeUndefined();
    expect(await sessionsOf(http, first.accessToken)).toHaveLength(sessionsBefore.length);

    const step2 = await loginMfa(http, { mfaToken: step1.body.mfaToken, code: await app.next() }, 'second-factor').expect(200);
    const pair = step2.body as TokenPair;
    expect(refreshCookie(step2)).toContain(pair.refreshToken);
    expect(formatOf(pair.accessToken)).toBe(format);
    expect(claimsOf(pair.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(claimsOf(pair.refreshToken).amr).toEqual(['pwd', 'otp']);
    await me(nest, pair.accessToken).expect(200);

    const sessions = await sessionsOf(http, pair.accessToken);
    expect(sessions.find((s) => s.current)).toMatchObject({ id: claimsOf(pair.accessToken).sid, amr: ['pwd', 'otp'] });
    expect(sessions.find((s) => s.id === claimsOf(first.accessToken).sid)?.amr).toEqual(['pwd']);

    // A refresh keeps the session's amr; reuse detection works as before.
    const refreshed = (await refresh(nest, pair.refreshToken).expect(200)).body as TokenPair;
    expect(claimsOf(refreshed.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(claimsOf(refreshed.refreshToken).amr).toEqual(['pwd', 'otp']);
    expectInvalidToken(await refresh(nest, pair.refreshToken));
    expectInvalidToken(await me(nest, refreshed.accessToken));

    const mail = await smtp.waitForMail(email, { subject: MFA_ON });
    expect(mail.mail.text).toContain(email);
    expect(mail.mail.text).not.toContain(setup.body.secret);

    // The owner's security events, newest first: the reuse above, each sign-in (the one that took a
    // code too) and the second factor turned on.
    const events = await request(http).get('/users/me/security-events').set(bearer(first.accessToken)).expect(200);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual(['refresh_reuse', 'login', 'mfa_enabled', 'login', 'login']);
  });

  it('records a wrong code at the second step as mfa_failed for the owner', async () => {
    const user = await enrol(http);
    const mfaToken = await mfaTokenFor(http, user.email);
    await loginMfa(http, { mfaToken, code: user.app.wrong() }).expect(400);
    await nest.get(SecurityEvents).flush();
    const pair = (await loginMfa(http, { mfaToken, recoveryCode: user.recoveryCodes[0] }).expect(200)).body as TokenPair;
    const events = await request(http).get('/users/me/security-events').set(bearer(pair.accessToken)).expect(200);
    expect(events.body.items.map((e: { type: string }) => e.type).slice(0, 2)).toEqual(['login', 'mfa_failed']);
  });

  it('refuses a replayed code, from the same login or a new one, and takes the next code', async () => {
    const user = await enrol(http);
    const code = await user.app.next();
    const mfaToken = await mfaTokenFor(http, user.email);
    await loginMfa(http, { mfaToken, code }).expect(200);
    // The spent mfaToken is dead; a new one with the same code is a replay.
    await loginMfa(http, { mfaToken, code }).expect(401);
    const again = await mfaTokenFor(http, user.email);
    await expect(loginMfa(http, { mfaToken: again, code }).expect(400)).resolves.toMatchObject({ body: { message: 'Wrong code' } });
    await loginMfa(http, { mfaToken: again, code: await user.app.next() }).expect(200);
  });

  it('gives exactly one pair for concurrent submissions of one code, with one mfaToken or several', async () => {
    const user = await enrol(http);
    const tokens = [await mfaTokenFor(http, user.email), await mfaTokenFor(http, user.email), await mfaTokenFor(http, user.email)];
    const code = await user.app.next();
    const answers = await Promise.all([...tokens, ...tokens].map((mfaToken) => loginMfa(http, { mfaToken, code })));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    // Six at once against a limit of five: every attempt is counted before its code is checked (the
    // winner's is given back after), so the sixth may find the limit full and get 429, a refusal too.
    expect(statuses.filter((s) => ![200, 400, 401, 429].includes(s))).toEqual([]);
    const winner = answers.find((res) => res.status === 200)!.body as TokenPair;
    expect((await sessionsOf(http, winner.accessToken)).filter((s) => s.amr.includes('otp'))).toHaveLength(1);
  });

  it('accepts each recovery code once, however it is typed; new codes replace the old ones', async () => {
    const user = await enrol(http);
    const [first, second, third] = user.recoveryCodes;
    const viaRecovery = await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: first }).expect(200);
    expect(claimsOf(viaRecovery.body.accessToken).amr).toEqual(['pwd', 'otp']);
    await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: first }).expect(400);
    await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: second.toUpperCase().replace(/-/g, '') }).expect(
      200,
    );

    const auth = bearer(viaRecovery.body.accessToken);
    await request(http)
      .post('/auth/mfa/recovery-codes')
      .set(auth)
      .send({ password: 'not the password', code: user.app.peek() })
      .expect(403);
    await request(http).post('/auth/mfa/recovery-codes').set(auth).send({ password: PASSWORD, code: user.app.wrong() }).expect(403);
    const fresh = await request(http)
      .post('/auth/mfa/recovery-codes')
      .set(auth)
      .send({ password: PASSWORD, code: await user.app.next() })
      .expect(200);
    expect(fresh.body.recoveryCodes).toHaveLength(10);
    expect(fresh.body.recoveryCodes).not.toContain(third);
    await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: third }).expect(400);
    await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: fresh.body.recoveryCodes[0] }).expect(200);
  });

  it('kills an mfaToken after 5 wrong codes, then holds the account for a while (429); 4 wrong and a right one pass', async () => {
    const patient = await enrol(http);
    const tried = await mfaTokenFor(http, patient.email);
    for (let i = 0; i < 4; i++) await loginMfa(http, { mfaToken: tried, code: patient.app.wrong() }).expect(400);
    await loginMfa(http, { mfaToken: tried, code: await patient.app.next() }).expect(200);

    const victim = await enrol(http);
    const mfaToken = await mfaTokenFor(http, victim.email);
    for (let i = 0; i < 5; i++) await loginMfa(http, { mfaToken, code: victim.app.wrong() }).expect(400);
    await expect(loginMfa(http, { mfaToken, code: victim.app.peek() }).expect(401)).resolves.toMatchObject({
      body: { message: 'Invalid, used or expired mfaToken; log in again' },
    });
    // A new mfaToken does not buy new guesses: the account's wrong codes are counted too.
    const held = await loginMfa(http, { mfaToken: await mfaTokenFor(http, victim.email), code: victim.app.peek() }).expect(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(held.headers['retry-after'])).toBeLessThanOrEqual(900);
    // Other accounts are not held.
    await fullLogin(http, patient);
  });

  it('an mfaToken is neither an access nor a refresh token, and neither of those is an mfaToken', async () => {
    const user = await enrol(http);
    const mfaToken = await mfaTokenFor(http, user.email);
    expectInvalidToken(await me(nest, mfaToken));
    expectInvalidToken(await refresh(nest, mfaToken));
    expectInvalidToken(await request(http).post('/auth/refresh').set('cookie', `refresh_token=${mfaToken}`));
    await loginMfa(http, { mfaToken: user.pair.accessToken, code: user.app.peek() }).expect(401);
    await loginMfa(http, { mfaToken: user.pair.refreshToken, code: user.app.peek() }).expect(401);
    await loginMfa(http, { mfaToken: randomBytes(32).toString('base64url'), code: user.app.peek() }).expect(401);
    // None of that spent or counted against the real one.
    const pair = (await loginMfa(http, { mfaToken, code: await user.app.next() }).expect(200)).body as TokenPair;
    await me(nest, pair.accessToken).expect(200);
    await loginMfa(http, { mfaToken, code: user.app.peek() }).expect(401);
  });

  it('disables only with the password and a code; every other session ends, login takes the password alone again', async () => {
    const user = await enrol(http);
    const here = (
      await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: user.recoveryCodes[0] }, 'here').expect(200)
    ).body;
    const there = (
      await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: user.recoveryCodes[1] }, 'there').expect(200)
    ).body;
    const auth = bearer(here.accessToken);

    await request(http).post('/auth/mfa/disable').set(auth).send({ password: PASSWORD }).expect(400);
    await request(http).post('/auth/mfa/disable').set(auth).send({ code: user.app.peek() }).expect(400);
    await request(http).post('/auth/mfa/disable').set(auth).send({ password: 'not the password', code: user.app.peek() }).expect(403);
    await request(http).post('/auth/mfa/disable').set(auth).send({ password: PASSWORD, code: user.app.wrong() }).expect(403);
    await request(http).post('/auth/mfa/disable').set(auth).send({ password: PASSWORD, code: user.recoveryCodes[0] }).expect(403);
    await me(nest, there.accessToken).expect(200);

    await request(http)
      .post('/auth/mfa/disable')
      .set(auth)
      .send({ password: PASSWORD, code: await user.app.next() })
      .expect(204);
    await me(nest, here.accessToken).expect(200);
    expectInvalidToken(await me(nest, there.accessToken));
    expectInvalidToken(await refresh(nest, there.refreshToken));
    expectInvalidToken(await me(nest, user.pair.accessToken));
    expect((await me(nest, here.accessToken)).body.mfaEnabled).toBe(false);
    expect((await sessionsOf(http, here.accessToken)).map((s) => s.id)).toEqual([claimsOf(here.accessToken).sid]);

    const plain = (await login(http, user.email).expect(200)).body as TokenPair;
    expect(claimsOf(plain.accessToken).amr).toEqual(['pwd']);
    await request(http)
      .post('/auth/mfa/disable')
      .set(bearer(plain.accessToken))
      .send({ password: PASSWORD, code: user.app.peek() })
      .expect(409);
    await smtp.waitForMail(user.email, { subject: MFA_OFF });
    expect(smtp.mailsTo(user.email, MFA_ON)).toHaveLength(1);
  });

  it('keeps the secret encrypted and the recovery codes hashed in the database', async () => {
    const user = await enrol(http);
    const raw = Buffer.from(Secret.fromBase32(user.app.secret).buffer);
    const { rows } = await db.query<{ secret: string }>('SELECT secret FROM user_totp WHERE user_id = $1', [user.userId]);
    expect(rows).toHaveLength(1);
    const stored = rows[0].secret;
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    for (const form of [
      user.app.secret,
      user.app.secret.toLowerCase(),
      raw.toString('hex'),
      raw.toString('base64'),
      raw.toString('base64url'),
    ]) {
      expect(stored).not.toContain(form);
    }
    const codes = await db.query<{ code_hash: string }>('SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1', [user.userId]);
    expect(codes.rows).toHaveLength(10);
    const dump = JSON.stringify(codes.rows);
    for (const code of user.recoveryCodes) expect(dump).not.toContain(code.replace(/-/g, ''));
  });

  it('keeps users.mfa_enabled in step with user_totp, and an account with MFA on can be deleted', async () => {
    const flag = async (userId: string) =>
      (await db.query<{ mfa_enabled: boolean }>('SELECT mfa_enabled FROM users WHERE id = $1', [userId])).rows[0]?.mfa_enabled;
    const user = await enrol(http);
    expect(await flag(user.userId)).toBe(true);
    // Written behind the app's back too: the trigger follows user_totp, whoever changes it.
    await db.query('UPDATE user_totp SET enabled_at = NULL WHERE user_id = $1', [user.userId]);
    expect(await flag(user.userId)).toBe(false);
    await db.query('UPDATE user_totp SET enabled_at = now() WHERE user_id = $1', [user.userId]);
    expect(await flag(user.userId)).toBe(true);
    await request(http).delete('/users/me').set(bearer(user.pair.accessToken)).send({ password: PASSWORD }).expect(204);
    expect(await flag(user.userId)).toBeUndefined();
    expect((await db.query('SELECT 1 FROM user_totp WHERE user_id = $1', [user.userId])).rowCount).toBe(0);
  });

  it('turning MFA off while the user row is locked waits its turn rather than deadlocking', async () => {
    const user = await enrol(http);
    // Another transaction holds the user's row and will then touch user_totp, as an account deletion
    // does (users first, then the cascade). Turning MFA off must queue behind it, not cross it.
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [user.userId]);
      const disabled = request(http)
        .post('/auth/mfa/disable')
        .set(bearer(user.pair.accessToken))
        .send({ password: PASSWORD, code: await user.app.next() })
        .then((res) => res.status);
      const otherPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const waiting = await db.query('SELECT 1 FROM pg_locks WHERE NOT granted AND $1 = ANY (pg_blocking_pids(pid))', [otherPid]);
        if (waiting.rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // The holder goes on to user_totp (as the cascade would) and gives up; neither side is aborted.
      await other.query('SELECT 1 FROM user_totp WHERE user_id = $1 FOR UPDATE', [user.userId]);
      await other.query('ROLLBACK');
      expect(await disabled).toBe(204);
      expect((await me(nest, user.pair.accessToken).expect(200)).body.mfaEnabled).toBe(false);
    } finally {
      await other.end();
    }
  });
});

describe('second factor across restarts, instances and password resets', () => {
  const key = () => randomBytes(32).toString('base64');
  let smtp: TestSmtpServer;
  let db: pg.Client;
  const opened: NestFastifyApplication[] = [];
  const start = async (overrides: Record<string, string> = {}) => {
    const app = await createTestApp({ SMTP_URL: smtp.url, QUEUE_POLL_INTERVAL_MS: '500', ...overrides });
    opened.push(app);
    return app;
  };
  const stop = async (app: NestFastifyApplication) => {
    opened.splice(opened.indexOf(app), 1);
    await app.close();
  };

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  // Each test's instances end with it: the machine's Postgres connections are shared.
  afterEach(async () => {
    for (const app of opened.splice(0)) await app.close().catch(() => undefined);
  });
  afterAll(async () => {
    await db?.end();
    await smtp?.stop();
  });

  it('a restart with the same MFA_ENCRYPTION_KEY keeps enrolled users working; a new key with the old one retired too', async () => {
    const original = key();
    const before = await start({ MFA_ENCRYPTION_KEY: original });
    const user = await enrol(before.getHttpServer());
    await stop(before);

    const restarted = await start({ MFA_ENCRYPTION_KEY: original });
    await fullLogin(restarted.getHttpServer(), user);
    await stop(restarted);

    const sealedBefore = (await db.query<{ secret: string }>('SELECT secret FROM user_totp WHERE user_id = $1', [user.userId])).rows[0]
      .secret;
    const rotated = await start({ MFA_ENCRYPTION_KEY: key(), MFA_ENCRYPTION_KEYS_RETIRED: original });
    await fullLogin(rotated.getHttpServer(), user);
    // Sealed again under the new key once a code was accepted.
    const sealedAfter = (await db.query<{ secret: string }>('SELECT secret FROM user_totp WHERE user_id = $1', [user.userId])).rows[0]
      .secret;
    expect(sealedAfter.split('.')[1]).not.toBe(sealedBefore.split('.')[1]);
    // A fourth code for one user may wait for the clock's next step.
    await fullLogin(rotated.getHttpServer(), user);
  }, 75_000);

  it('a code accepted by one instance is refused by another, and of two instances taking one code at once exactly one wins', async () => {
    const shared = key();
    const [a, b] = [await start({ MFA_ENCRYPTION_KEY: shared }), await start({ MFA_ENCRYPTION_KEY: shared })];
    const [httpA, httpB] = [a.getHttpServer(), b.getHttpServer()];
    const user = await enrol(httpA);

    const code = await user.app.next();
    await loginMfa(httpA, { mfaToken: await mfaTokenFor(httpA, user.email), code }).expect(200);
    await loginMfa(httpB, { mfaToken: await mfaTokenFor(httpB, user.email), code }).expect(400);

    const next = await user.app.next();
    const [tokenA, tokenB] = [await mfaTokenFor(httpA, user.email), await mfaTokenFor(httpB, user.email)];
    const statuses = (
      await Promise.all([loginMfa(httpA, { mfaToken: tokenA, code: next }), loginMfa(httpB, { mfaToken: tokenB, code: next })])
    ).map((res) => res.status);
    expect(statuses.sort()).toEqual([200, 400]);
  });

  it('a password reset leaves MFA on, and an mfaToken from before it is dead', async () => {
    const app = await start();
    const http = app.getHttpServer();
    const user = await enrol(http);
    const before = await mfaTokenFor(http, user.email);
    await request(http).post('/auth/password/forgot').send({ email: user.email }).expect(202);
    const mail = await smtp.waitForMail(user.email, { subject: 'Reset your password' });
    const token = /reset-password\?token=([A-Za-z0-9_-]{43})/.exec(mail.mail.text ?? '')![1];
    await request(http).post('/auth/password/reset').send({ token, newPassword: 'a new password 1' }).expect(204);

    await loginMfa(http, { mfaToken: before, code: user.app.peek() }).expect(401);
    const res = await login(http, user.email, 'a new password 1').expect(200);
    expect(res.body.mfaRequired).toBe(true);
    expect(res.body.accessToken).toBeUndefined();
    const pair = (await loginMfa(http, { mfaToken: res.body.mfaToken, code: await user.app.next() }).expect(200)).body as TokenPair;
    expect((await me(app, pair.accessToken).expect(200)).body.mfaEnabled).toBe(true);
  });

  it('a password change keeps this device signed in with its amr, and MFA on', async () => {
    const app = await start();
    const http = app.getHttpServer();
    const user = await enrol(http);
    const pair = (await loginMfa(http, { mfaToken: await mfaTokenFor(http, user.email), recoveryCode: user.recoveryCodes[0] }).expect(200))
      .body as TokenPair;
    const changed = await request(http)
      .post('/users/me/password')
      .set(bearer(pair.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'another password 2' })
      .expect(200);
    expect(claimsOf(changed.body.accessToken).amr).toEqual(['pwd', 'otp']);
    expect(claimsOf(changed.body.refreshToken).amr).toEqual(['pwd', 'otp']);
    expectInvalidToken(await me(app, pair.accessToken));
    await expect(login(http, user.email, 'another password 2').expect(200)).resolves.toMatchObject({ body: { mfaRequired: true } });
  });

  it('an mfaToken dies when it expires', async () => {
    const app = await start();
    const http = app.getHttpServer();
    const user = await enrol(http);
    const [stale, fresh] = [await mfaTokenFor(http, user.email), await mfaTokenFor(http, user.email)];
    const { rowCount } = await db.query(
      `UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')`,
      [stale],
    );
    expect(rowCount).toBe(1);
    await loginMfa(http, { mfaToken: stale, code: user.app.peek() }).expect(401);
    await loginMfa(http, { mfaToken: fresh, code: await user.app.next() }).expect(200);
  });

  it('a flood of concurrent guesses on one mfaToken gets 5 tries in all', async () => {
    const app = await start();
    const http = app.getHttpServer();
    const user = await enrol(http);
    const mfaToken = await mfaTokenFor(http, user.email);
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => loginMfa(http, { mfaToken, code: user.app.wrong() })))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 400)).toHaveLength(5);
    expect(statuses.filter((s) => s !== 400).every((s) => s === 401)).toBe(true);
    await loginMfa(http, { mfaToken, code: user.app.peek() }).expect(401);
  });

  it('wrong passwords on the MFA routes count against the account too', async () => {
    const app = await start();
    const http = app.getHttpServer();
    const user = await enrol(http);
    const auth = bearer(user.pair.accessToken);
    for (let i = 0; i < 5; i++) {
      await request(http)
        .post('/auth/mfa/recovery-codes')
        .set(auth)
        .send({ password: 'not the password', code: user.app.peek() })
        .expect(403);
    }
    const held = await request(http).post('/auth/mfa/disable').set(auth).send({ password: PASSWORD, code: user.app.peek() }).expect(429);
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(0);
    expect((await me(app, user.pair.accessToken).expect(200)).body.mfaEnabled).toBe(true);
    // Another account is not held.
    const other = await enrol(http);
    await request(http)
      .post('/auth/mfa/recovery-codes')
      .set(bearer(other.pair.accessToken))
      .send({ password: PASSWORD, code: await other.app.next() })
      .expect(200);
  });

  it('answers 400 for malformed bodies, never 500', async () => {
    const app = await start();
    const http = app.getHttpServer();
    const user = await enrol(http);
    const mfaToken = await mfaTokenFor(http, user.email);
    for (const body of [
      {},
      { mfaToken },
      { mfaToken, code: 123456 },
      { mfaToken, code: '12345' },
      { mfaToken, recoveryCode: '!' },
      { mfaToken: 7, code: '123456' },
    ]) {
      await loginMfa(http, body).expect(400);
    }
    await loginMfa(http, { mfaToken, code: user.app.peek(), recoveryCode: user.recoveryCodes[0] }).expect(400);
    await loginMfa(http, { mfaToken, code: await user.app.next() }).expect(200);
    const auth = bearer(user.pair.accessToken);
    await request(http).post('/auth/mfa/totp/enable').set(auth).send({ code: '1234567' }).expect(400);
    await request(http)
      .post('/auth/mfa/disable')
      .set(auth)
      .send({ password: PASSWORD, code: ['123456'] })
      .expect(400);
    await request(http).post('/auth/mfa/totp/setup').set(auth).send({}).expect(400);
  });
});
