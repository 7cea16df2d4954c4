import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { bearer, me, newEmail, refresh, refreshCookie, type SignedInUser, signUpAndLogIn } from './support/auth.js';
import { SoftAuthenticator } from './support/soft-authenticator.js';

const APP_URL = 'http://localhost:3999';
const FAILED = { statusCode: 401, message: 'Passkey sign-in failed', error: 'Unauthorized' };

describe('passkeys (WebAuthn) through the API', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<NestFastifyApplication['getHttpServer']>;
  let db: pg.Client;

  beforeAll(async () => {
    app = await createTestApp({ APP_URL });
    http = app.getHttpServer();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  const registrationOptions = async (user: SignedInUser) =>
    (await request(http).post('/auth/passkeys/register/options').set(bearer(user.accessToken)).expect(200))
      .body as PublicKeyCredentialCreationOptionsJSON;
  const register = (user: SignedInUser, response: unknown, name?: string) =>
    request(http).post('/auth/passkeys/register').set(bearer(user.accessToken)).send({ response, name });
  const loginOptions = async (email?: string) =>
    (
      await request(http)
        .post('/auth/passkeys/login/options')
        .send(email === undefined ? {} : { email })
        .expect(200)
    ).body as PublicKeyCredentialRequestOptionsJSON & {
      challengeId: string;
    };
  const login = (challengeId: string, response: unknown) => request(http).post('/auth/passkeys/login').send({ challengeId, response });

  /** A signed-in user with one registered passkey on its own authenticator. */
  async function userWithPasskey(name = 'Laptop') {
    const user = await signUpAndLogIn(app);
    const authenticator = new SoftAuthenticator(APP_URL);
    const created = await register(user, authenticator.create(await registrationOptions(user)), name).expect(201);
    return { user, authenticator, passkeyId: created.body.id as string };
  }

  it('registers several named passkeys, lists them, and deletes one, which then signs in no more', async () => {
    const user = await signUpAndLogIn(app);
    const authenticator = new SoftAuthenticator(APP_URL);
    const options = await registrationOptions(user);
    expect(options).toMatchObject({
      rp: { id: 'localhost' },
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: [],
    });
    const laptop = await register(user, authenticator.create(options), 'Laptop').expect(201);
    expect(laptop.body).toEqual({ id: expect.any(String), name: 'Laptop', createdAt: expect.any(String), lastUsedAt: null });

    const second = await registrationOptions(user);
    expect(second.excludeCredentials).toEqual([
      { id: [...authenticator.credentials.keys()][0], type: 'public-key', transports: ['internal'] },
    ]);
    const phone = await register(user, authenticator.create(second)).expect(201);
    expect(phone.body.name).toBe('Passkey');

    const list = await request(http).get('/auth/passkeys').set(bearer(user.accessToken)).expect(200);
    expect(list.body.map((p: { name: string }) => p.name)).toEqual(['Laptop', 'Passkey']);

    const laptopCredential = [...authenticator.credentials.keys()][0];
    await request(http).delete(`/auth/passkeys/${laptop.body.id}`).set(bearer(user.accessToken)).expect(204);
    await request(http).delete(`/auth/passkeys/${laptop.body.id}`).set(bearer(user.accessToken)).expect(404);
    const after = await request(http).get('/auth/passkeys').set(bearer(user.accessToken)).expect(200);
    expect(after.body.map((p: { id: string }) => p.id)).toEqual([phone.body.id]);

    const options2 = await loginOptions();
    await expect(login(options2.challengeId, authenticator.get(options2, { id: laptopCredential })).expect(401)).resolves.toMatchObject({
      body: FAILED,
    });
    const options3 = await loginOptions();
    await login(options3.challengeId, authenticator.get(options3, { id: [...authenticator.credentials.keys()][1] })).expect(200);

    // Each change is in the owner's security events, with the passkey sign-in as a login.
    const events = await request(http).get('/users/me/security-events').set(bearer(user.accessToken)).expect(200);
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual([
      'login',
      'passkey_removed',
      'passkey_added',
      'passkey_added',
      'login',
    ]);
  });

  it('a passkey sign-in opens a normal session: cookie, sessions list, refresh with rotation and reuse detection', async () => {
    const { user, authenticator } = await userWithPasskey();
    const options = await loginOptions();
    expect(options).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
      allowCredentials: [],
      challengeId: expect.any(String),
    });
    const res = await login(options.challengeId, authenticator.get(options)).set('user-agent', 'passkey-browser').expect(200);
    expect(res.body).toMatchObject({
      tokenType: 'Bearer',
      expiresIn: 900,
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
    });
    expect(refreshCookie(res)).toMatch(/^refresh_token=.+; Max-Age=\d+; Path=\/auth; HttpOnly; SameSite=Strict/);

    await expect(me(app, res.body.accessToken).expect(200)).resolves.toMatchObject({ body: { id: user.userId } });
    const sessions = await request(http).get('/auth/sessions').set(bearer(res.body.accessToken)).expect(200);
    // Signed in by a passkey (RFC 8176 `webauthn`): the session and its tokens say so.
    expect(sessions.body).toContainEqual(expect.objectContaining({ userAgent: 'passkey-browser', current: true, amr: ['webauthn'] }));
    const claims = JSON.parse(Buffer.from(res.body.accessToken.split('.')[1], 'base64url').toString()) as { amr: string[] };
    expect(claims.amr).toEqual(['webauthn']);

    const rotated = await refresh(app, res.body.refreshToken).expect(200);
    await refresh(app, res.body.refreshToken).expect(401); // spent: reuse revokes the session
    await me(app, rotated.body.accessToken).expect(401);

    const list = await request(http).get('/auth/passkeys').set(bearer(user.accessToken)).expect(200);
    expect(list.body[0].lastUsedAt).toEqual(expect.any(String));
  });

  it('a sign-in challenge works once: replaying the same answer is refused', async () => {
    const { authenticator } = await userWithPasskey();
    const options = await loginOptions();
    const answer = authenticator.get(options);
    await login(options.challengeId, answer).expect(200);
    await expect(login(options.challengeId, answer).expect(401)).resolves.toMatchObject({ body: FAILED });
    // The same signature under a fresh challenge id does not verify either.
    const fresh = await loginOptions();
    await login(fresh.challengeId, answer).expect(401);
    await login(fresh.challengeId, authenticator.get(fresh)).expect(401); // a failed attempt spent it too
    const last = await loginOptions();
    await login(last.challengeId, authenticator.get(last)).expect(200);
  });

  it('a registration challenge works once, and only for the user it was issued to', async () => {
    const alice = await signUpAndLogIn(app);
    const mallory = await signUpAndLogIn(app);
    const authenticator = new SoftAuthenticator(APP_URL);
    const aliceOptions = await registrationOptions(alice);
    // Mallory answers Alice's challenge (e.g. leaked) to plant a passkey: refused, and Alice's challenge is intact.
    await register(mallory, authenticator.create(aliceOptions)).expect(400);
    const answer = authenticator.create(aliceOptions);
    await register(alice, answer).expect(201);
    const replay = await register(alice, answer).expect(400);
    expect(replay.body.message).toMatch(/No live registration challenge/);
    await expect(request(http).get('/auth/passkeys').set(bearer(mallory.accessToken)).expect(200)).resolves.toMatchObject({ body: [] });
  });

  it('an expired challenge is refused for sign-in and registration', async () => {
    const { user, authenticator } = await userWithPasskey();
    const options = await loginOptions();
    await db.query(`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE id = $1`, [options.challengeId]);
    await login(options.challengeId, authenticator.get(options)).expect(401);

    const registration = await registrationOptions(user);
    await db.query(`UPDATE webauthn_challenges SET expires_at = now() - interval '1 second' WHERE challenge = $1`, [
      registration.challenge,
    ]);
    await register(user, authenticator.create(registration)).expect(400);

    const live = await loginOptions();
    const [{ seconds }] = (
      await db.query<{ seconds: number }>(
        `SELECT extract(epoch FROM expires_at - now())::int AS seconds FROM webauthn_challenges WHERE id = $1`,
        [live.challengeId],
      )
    ).rows;
    expect(seconds).toBeGreaterThan(290);
    expect(seconds).toBeLessThanOrEqual(300);
    await login(live.challengeId, authenticator.get(live)).expect(200);
  });

  it('a signature counter that goes back (a cloned authenticator) refuses the sign-in', async () => {
    const { authenticator } = await userWithPasskey();
    let options = await loginOptions();
    await login(options.challengeId, authenticator.get(options, { counter: 5 })).expect(200);
    options = await loginOptions();
    await expect(login(options.challengeId, authenticator.get(options, { counter: 3 })).expect(401)).resolves.toMatchObject({
      body: FAILED,
    });
    options = await loginOptions();
    await login(options.challengeId, authenticator.get(options, { counter: 5 })).expect(401);
    options = await loginOptions();
    await login(options.challengeId, authenticator.get(options, { counter: 6 })).expect(200);
  });

  it('of two sign-ins racing with one counter value (a cloned authenticator), exactly one passes', async () => {
    const { authenticator } = await userWithPasskey();
    for (let round = 1; round <= 3; round++) {
      const [a, b] = await Promise.all([loginOptions(), loginOptions()]);
      const results = await Promise.all([
        login(a.challengeId, authenticator.get(a, { counter: round * 10 })),
        login(b.challengeId, authenticator.get(b, { counter: round * 10 })),
      ]);
      expect(results.map((res) => res.status).sort()).toEqual([200, 401]);
    }
  });

  it("options for an email accept only that account's passkey", async () => {
    const alice = await userWithPasskey();
    const mallory = await userWithPasskey();
    let options = await loginOptions(alice.user.email.toUpperCase());
    await login(options.challengeId, mallory.authenticator.get(options)).expect(401);
    options = await loginOptions(alice.user.email);
    const res = await login(options.challengeId, alice.authenticator.get(options)).expect(200);
    await expect(me(app, res.body.accessToken).expect(200)).resolves.toMatchObject({ body: { id: alice.user.userId } });
  });

  it('a passkey whose user handle names another account is refused', async () => {
    const alice = await userWithPasskey();
    const mallory = await userWithPasskey();
    const malloryHandle = [...mallory.authenticator.credentials.values()][0].userHandle;
    let options = await loginOptions();
    await login(options.challengeId, alice.authenticator.get(options, { userHandle: malloryHandle })).expect(401);
    options = await loginOptions();
    await login(options.challengeId, alice.authenticator.get(options)).expect(200);
  });

  it('login options for an email tell nothing about whether an account has it', async () => {
    const { user, authenticator } = await userWithPasskey();
    const known = await loginOptions(user.email);
    const unknown = await loginOptions(newEmail());
    const shape = (body: object) =>
      Object.fromEntries(Object.entries(body).map(([k, v]) => [k, k === 'challenge' || k === 'challengeId' ? typeof v : v]));
    expect(shape(unknown)).toEqual(shape(known));
    expect(unknown.allowCredentials).toEqual([]);
    // The unknown address's challenge opens no account, whatever passkey answers it.
    await login(unknown.challengeId, authenticator.get(unknown)).expect(401);
  });

  it('requires user verification, the configured origin and RP ID', async () => {
    const user = await signUpAndLogIn(app);
    const authenticator = new SoftAuthenticator(APP_URL);
    await register(user, authenticator.create(await registrationOptions(user), { userVerified: false })).expect(400);
    await register(user, authenticator.create(await registrationOptions(user), { origin: 'http://evil.example' })).expect(400);
    const good = new SoftAuthenticator(APP_URL);
    await register(user, good.create(await registrationOptions(user))).expect(201);

    let options = await loginOptions();
    await login(options.challengeId, good.get(options, { userVerified: false })).expect(401);
    options = await loginOptions();
    await login(options.challengeId, good.get(options, { origin: 'http://localhost.evil.example' })).expect(401);
    options = await loginOptions();
    await login(options.challengeId, good.get({ ...options, rpId: 'evil.example' })).expect(401);
    options = await loginOptions();
    await login(options.challengeId, good.get(options)).expect(200);
  });

  it('refuses malformed bodies with a 4xx, never a 500', async () => {
    const { user, authenticator } = await userWithPasskey();
    const options = await loginOptions();
    const answer = authenticator.get(options) as unknown as { response: Record<string, unknown> };
    for (const body of [
      {},
      { challengeId: 'nope', response: answer },
      { challengeId: options.challengeId, response: 'x' },
      { challengeId: randomUUID(), response: answer },
    ]) {
      const res = await request(http).post('/auth/passkeys/login').send(body);
      expect([400, 401]).toContain(res.status);
    }
    for (const response of [
      { ...answer, response: { ...answer.response, signature: '!!!' } },
      { ...answer, id: 'x'.repeat(5000) },
      { ...answer, response: { ...answer.response, clientDataJSON: 'not-json' } },
      { ...answer, response: {} },
      { id: 5, response: { userHandle: 7 } },
    ]) {
      const fresh = await loginOptions();
      await login(fresh.challengeId, response).expect(401);
    }
    for (const response of [{}, { id: 'x', response: { clientDataJSON: 'e30' } }, { response: { clientDataJSON: 12 } }]) {
      await registrationOptions(user);
      await register(user, response).expect(400);
    }
    await register(user, authenticator.create(await registrationOptions(user)), 'x'.repeat(65)).expect(400);
    await request(http).post('/auth/passkeys/login/options').send({ email: 'not-an-email' }).expect(400);
    await request(http).delete('/auth/passkeys/not-a-uuid').set(bearer(user.accessToken)).expect(400);
  });

  it("deleting another user's passkey is a 404 and leaves it working", async () => {
    const alice = await userWithPasskey();
    const mallory = await signUpAndLogIn(app);
    await request(http).delete(`/auth/passkeys/${alice.passkeyId}`).set(bearer(mallory.accessToken)).expect(404);
    const options = await loginOptions();
    await login(options.challengeId, alice.authenticator.get(options)).expect(200);
  });

  it('managing passkeys needs an access token', async () => {
    await request(http).post('/auth/passkeys/register/options').expect(401);
    await request(http).post('/auth/passkeys/register').send({ response: {} }).expect(401);
    await request(http).get('/auth/passkeys').expect(401);
    await request(http).delete(`/auth/passkeys/${randomUUID()}`).expect(401);
  });
});

describe('passkey login options under a flood', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;
  beforeAll(async () => {
    app = await createTestApp({ APP_URL, AUTH_RATE_LIMIT: '5', AUTH_RATE_TTL: '60', TRUST_PROXY: '127.0.0.1,::1,::ffff:127.0.0.1' });
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
  });

  it('answers 429 with Retry-After past the per-client limit, stores nothing for it, and serves another client', async () => {
    const http = app.getHttpServer();
    const flooder = `203.0.113.${Math.floor(Math.random() * 200) + 1}`;
    const count = async () => Number((await db.query(`SELECT count(*) FROM webauthn_challenges`)).rows[0].count);
    const before = await count();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 8; i++) {
      last = await request(http).post('/auth/passkeys/login/options').set('x-forwarded-for', flooder).send({});
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    // Other tests may add challenges meanwhile only through their own app; this one added five.
    expect((await count()) - before).toBeLessThanOrEqual(5);
    await request(http).post('/auth/passkeys/login/options').set('x-forwarded-for', '198.51.100.200').send({}).expect(200);
  });
});
