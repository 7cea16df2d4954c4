import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHmac, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { encrypt as pasetoTsEncrypt, verify as pasetoTsVerify } from 'paseto-ts/v4';
import request from 'supertest';
import { k4Public, type TokenFormat } from '../src/auth/tokens/key-files.js';
import { KeyStore } from '../src/auth/tokens/key-store.js';
import { createTestApp } from './support/app.js';
import {
  bearer,
  expectInvalidToken,
  logIn,
  me,
  PASSWORD,
  refresh,
  signUp,
  signUpAndLogIn,
  type SignedInUser,
  type TokenPair,
} from './support/auth.js';
import { claimsOf, forge, formatOf, timeIn } from './support/tokens.js';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TOKEN_FORMAT=paseto', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ TOKEN_FORMAT: 'paseto' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('logs in with v4.public tokens that an independent implementation verifies with the published PASERK', async () => {
    const pair = await signUpAndLogIn(app);
    expect(pair.accessToken).toMatch(/^v4\.public\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(pair.refreshToken).toMatch(/^v4\.public\./);
    const published = (await request(app.getHttpServer()).get('/.well-known/paserk.json').expect(200)).body as {
      keys: { kid: string; paserk: string }[];
    };
    const accessKid = JSON.parse(Buffer.from(pair.accessToken.split('.')[3], 'base64url').toString()).kid;
    const refreshKid = JSON.parse(Buffer.from(pair.refreshToken.split('.')[3], 'base64url').toString()).kid;
    const key = published.keys.find((k) => k.kid === accessKid);
    expect(key).toBeDefined();
    expect(published.keys.map((k) => k.kid)).not.toContain(refreshKid);
    for (const k of published.keys) expect(Object.keys(k).sort()).toEqual(['kid', 'paserk']);

    const { payload, footer } = pasetoTsVerify(key!.paserk, pair.accessToken, { validatePayload: true });
    expect(footer).toEqual({ kid: accessKid });
    expect(payload).toMatchObject({ typ: 'access', iss: 'todo-api', aud: 'todo-api', sid: expect.any(String) });
    expect(Object.keys(payload).sort()).toEqual(['amr', 'aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub', 'typ']);
    expect(payload.amr).toEqual(['pwd']);
    expect(Date.parse(payload.exp!) - Date.parse(payload.iat!)).toBe(900_000);
    const refreshClaims = claimsOf(pair.refreshToken);
    expect(refreshClaims).toMatchObject({ sub: payload.sub, sid: payload.sid, typ: 'refresh', key: expect.any(String) });
    await me(app, pair.accessToken).expect(200);
  });

  it('rotates on refresh, and a spent token presented again revokes the session', async () => {
    const first = await signUpAndLogIn(app);
    const second = (await refresh(app, first.refreshToken).expect(200)).body as TokenPair;
    expect(second.refreshToken).toMatch(/^v4\.public\./);
    expect(claimsOf(second.refreshToken).jti).not.toBe(claimsOf(first.refreshToken).jti);
    expect(claimsOf(second.accessToken).sid).toBe(claimsOf(first.accessToken).sid);
    await me(app, second.accessToken).expect(200);
    const third = (await refresh(app, second.refreshToken).expect(200)).body as TokenPair;
    expectInvalidToken(await refresh(app, first.refreshToken));
    expectInvalidToken(await refresh(app, third.refreshToken));
    expectInvalidToken(await me(app, third.accessToken));
  });

  it('works from the refresh cookie alone', async () => {
    const pair = await signUpAndLogIn(app);
    const res = await request(app.getHttpServer()).post('/auth/refresh').set('cookie', `refresh_token=${pair.refreshToken}`).expect(200);
    expect(res.body.refreshToken).toMatch(/^v4\.public\./);
  });

  it('changes the password: a new pair here, every other session and earlier refresh token dead', async () => {
    const { email } = await signUp(app);
    const here = await logIn(app, email, PASSWORD, 'here');
    const elsewhere = await logIn(app, email, PASSWORD, 'elsewhere');
    const res = await request(app.getHttpServer())
      .post('/users/me/password')
      .set(bearer(here.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'new password 1' })
      .expect(200);
    expect(res.body.accessToken).toMatch(/^v4\.public\./);
    await me(app, res.body.accessToken).expect(200);
    expectInvalidToken(await me(app, elsewhere.accessToken));
    expectInvalidToken(await refresh(app, elsewhere.refreshToken));
    expectInvalidToken(await refresh(app, here.refreshToken));
    await refresh(app, res.body.refreshToken).expect(200);
  });

  it('logs out one session at once, and logout-all ends the rest', async () => {
    const { email } = await signUp(app);
    const a = await logIn(app, email);
    const b = await logIn(app, email);
    const c = await logIn(app, email);
    await request(app.getHttpServer()).post('/auth/logout').set(bearer(a.accessToken)).expect(204);
    expectInvalidToken(await me(app, a.accessToken));
    expectInvalidToken(await refresh(app, a.refreshToken));
    await me(app, b.accessToken).expect(200);
    await request(app.getHttpServer()).post('/auth/logout-all').set(bearer(b.accessToken)).expect(204);
    expectInvalidToken(await me(app, b.accessToken));
    expectInvalidToken(await me(app, c.accessToken));
    expectInvalidToken(await refresh(app, c.refreshToken));
  });

  it('lists the active sessions with the current one marked', async () => {
    const { email } = await signUp(app);
    const phone = await logIn(app, email, PASSWORD, 'phone');
    const laptop = await logIn(app, email, PASSWORD, 'laptop');
    const res = await request(app.getHttpServer()).get('/auth/sessions').set(bearer(laptop.accessToken)).expect(200);
    expect(res.body).toHaveLength(2);
    expect(res.body.find((s: { current: boolean }) => s.current)).toMatchObject({
      id: claimsOf(laptop.accessToken).sid,
      userAgent: 'laptop',
    });
    await request(app.getHttpServer())
      .delete(`/auth/sessions/${String(claimsOf(phone.accessToken).sid)}`)
      .set(bearer(laptop.accessToken))
      .expect(204);
    expectInvalidToken(await me(app, phone.accessToken));
  });
});

describe.each<[TokenFormat]>([['jwt'], ['paseto']])('the guard, TOKEN_FORMAT=%s', (format) => {
  let app: NestFastifyApplication;
  let pair: SignedInUser;
  let base: Record<string, unknown>;
  beforeAll(async () => {
    app = await createTestApp({ TOKEN_FORMAT: format });
    pair = await signUpAndLogIn(app);
    base = claimsOf(pair.accessToken);
  });
  afterAll(async () => {
    await app.close();
  });
  const access = (over: Record<string, unknown> = {}) => forge(format, 'access', { ...base, ...over });

  it('accepts an access token forged with the real key for a live session (the baseline)', async () => {
    expect(formatOf(pair.accessToken)).toBe(format);
    await me(app, await access()).expect(200);
  });

  const common: [string, () => Promise<string>][] = [
    ['an expired token', () => access({ iat: timeIn(format, -60), exp: timeIn(format, -10) })],
    ['a token without exp', () => access({ exp: undefined })],
    ['a token without iat', () => access({ iat: undefined })],
    ['a token older than its lifetime by iat', () => access({ iat: timeIn(format, -1000), exp: timeIn(format, 100) })],
    ['wrong iss', () => access({ iss: 'evil' })],
    ['wrong aud', () => access({ aud: 'other-api' })],
    ['wrong typ', () => access({ typ: 'refresh', key: 'k' })],
    ['a refresh token', async () => pair.refreshToken],
    ['the refresh key signing an access token', () => forge(format, 'refresh', base)],
    [
      'a foreign key under the real kid',
      () =>
        forge(format, 'access', base, {
          key:
            format === 'jwt' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : generateKeyPairSync('ed25519').privateKey,
        }),
    ],
    [
      'an unknown kid',
      () =>
        forge(format, 'access', base, {
          kid: format === 'jwt' ? 'no-such-kid' : 'k4.pid.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
    ],
    ['a session that does not exist', () => access({ sid: '00000000-0000-4000-8000-000000000000' })],
    ['another user as sub on this session', () => access({ sub: '00000000-0000-4000-8000-000000000000' })],
  ];
  const specific: Record<TokenFormat, [string, () => Promise<string>][]> = {
    jwt: [
      ['alg "none"', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(base)}.`],
      [
        'HS256 with the public PEM as the secret',
        async () => {
          const keys = await KeyStore.load({ KEYS_DIR: process.env.KEYS_DIR!, NODE_ENV: 'test' });
          const pem = createPublicKey(keys.jwt!.access.privateKey).export({ type: 'spki', format: 'pem' }) as string;
          const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid: keys.jwt!.access.kid })}.${b64(base)}`;
          return `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;
        },
      ],
    ],
    paseto: [
      [
        'a v4.local token encrypted with the public key bytes',
        async () => {
          const keys = await KeyStore.load({ KEYS_DIR: process.env.KEYS_DIR!, NODE_ENV: 'test', TOKEN_FORMAT: 'paseto' });
          const paserk = k4Public(createPublicKey(keys.paseto!.access.privateKey));
          return pasetoTsEncrypt(`k4.local.${paserk.slice('k4.public.'.length)}`, base, { footer: { kid: keys.paseto!.access.kid } });
        },
      ],
      ['a v3.public header on a real token', async () => pair.accessToken.replace(/^v4\./, 'v3.')],
      ['the footer removed', async () => pair.accessToken.split('.').slice(0, 3).join('.')],
    ],
  };
  it.each([...common, ...specific[format]])('refuses %s with the one 401', async (_case, make) => {
    expectInvalidToken(await me(app, await make()));
    await me(app, pair.accessToken).expect(200);
  });

  it('refuses a refresh token whose custom key does not match, on a live session with its live jti', async () => {
    const fresh = await signUpAndLogIn(app);
    const claims = claimsOf(fresh.refreshToken);
    const other = await signUpAndLogIn(app);
    // Control: the same forgery with the right key is accepted (on another session, as it spends it).
    await refresh(app, await forge(format, 'refresh', claimsOf(other.refreshToken))).expect(200);
    expectInvalidToken(
      await refresh(
        app,
        await forge(format, 'refresh', { ...claims, key: createHmac('sha256', 'guess').update(String(claims.sub)).digest('base64url') }),
      ),
    );
  });
});

describe('switching TOKEN_FORMAT logs nobody out', () => {
  const apps: NestFastifyApplication[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
  });
  const start = async (format: TokenFormat) => {
    const app = await createTestApp({ TOKEN_FORMAT: format });
    apps.push(app);
    return app;
  };

  it('a JWT issued before switching to PASETO still works, and a PASETO token after switching back', async () => {
    const jwtApp = await start('jwt');
    const { email } = await signUp(jwtApp);
    const beforeSwitch = await logIn(jwtApp, email);
    expect(formatOf(beforeSwitch.accessToken)).toBe('jwt');

    const pasetoApp = await start('paseto');
    await me(pasetoApp, beforeSwitch.accessToken).expect(200);
    const upgraded = (await refresh(pasetoApp, beforeSwitch.refreshToken).expect(200)).body as TokenPair;
    expect(formatOf(upgraded.accessToken)).toBe('paseto');
    expect(formatOf(upgraded.refreshToken)).toBe('paseto');
    await me(pasetoApp, upgraded.accessToken).expect(200);
    // Reuse detection does not care which format the spent token was in.
    const spare = await logIn(pasetoApp, email);

    const backApp = await start('jwt');
    await me(backApp, upgraded.accessToken).expect(200);
    const back = (await refresh(backApp, upgraded.refreshToken).expect(200)).body as TokenPair;
    expect(formatOf(back.accessToken)).toBe('jwt');
    await me(backApp, back.accessToken).expect(200);
    expectInvalidToken(await refresh(backApp, beforeSwitch.refreshToken));
    expectInvalidToken(await me(backApp, back.accessToken));
    await me(backApp, spare.accessToken).expect(200);
  });
});
