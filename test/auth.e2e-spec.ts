import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JwtService } from '@nestjs/jwt';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { KeyStore } from '../src/auth/tokens/key-store.js';
import { createTestApp } from './support/app.js';
import {
  bearer,
  expectInvalidToken,
  logIn,
  me,
  newEmail,
  PASSWORD,
  refresh,
  refreshCookie,
  signUp,
  signUpAndLogIn,
} from './support/auth.js';

const jwt = new JwtService({});
interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}
const decode = (token: string) => jwt.decode(token, { complete: true }) as unknown as DecodedJwt;

describe('auth', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<NestFastifyApplication['getHttpServer']>;

  beforeAll(async () => {
    app = await createTestApp();
    http = app.getHttpServer();
  });
  afterAll(async () => {
    await app.close();
  });

  describe('signup', () => {
    it('creates an account with a normalised email and returns no secrets', async () => {
      const res = await request(http)
        .post('/auth/signup')
        .send({ email: '  Ada.Lovelace+X@Example.COM ', password: PASSWORD, name: 'Ada' })
        .expect(201);
      expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'email', 'id', 'name']);
      expect(res.body).toMatchObject({ email: 'ada.lovelace+x@example.com', name: 'Ada' });
      expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    });

    it('refuses an email that is taken, whatever its case', async () => {
      const { email } = await signUp(app);
      const res = await request(http).post('/auth/signup').send({ email: email.toUpperCase(), password: PASSWORD }).expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    });

    it.each([
      ['an invalid email', { email: 'not-an-email', password: PASSWORD }],
      ['an email over 254 characters', { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD }],
      ['a password under 8 bytes', { email: 'x@example.com', password: 'short' }],
      ['a password over 72 bytes (multi-byte: 37 characters, 74 bytes)', { email: 'x@example.com', password: 'é'.repeat(37) }],
      ['a password with a NUL character', { email: 'x@example.com', password: 'abcd\u0000efgh' }],
      ['a non-string password', { email: 'x@example.com', password: 12345678 }],
      ['an unknown field', { email: 'x@example.com', password: PASSWORD, role: 'admin' }],
      ['a missing password', { email: 'x@example.com' }],
      ['a name with a NUL character', { email: 'x@example.com', password: PASSWORD, name: 'a\u0000b' }],
      ['a name of 101 characters that are each two UTF-16 units', { email: 'x@example.com', password: PASSWORD, name: '😀'.repeat(101) }],
      ['a name of 60 hearts (120 characters to Postgres)', { email: 'x@example.com', password: PASSWORD, name: '❤️'.repeat(60) }],
      ['a non-string name', { email: 'x@example.com', password: PASSWORD, name: ['Ada'] }],
    ])('answers 400 to %s', async (_name, body) => {
      const res = await request(http).post('/auth/signup').send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toEqual(expect.anything());
    });

    it('accepts a password of exactly 72 bytes', async () => {
      await signUp(app, { password: 'é'.repeat(36) });
    });

    it('lets exactly one of 20 concurrent signups with one email win; the rest are 409, never 500', async () => {
      const email = newEmail();
      const results = await Promise.all(
        Array.from({ length: 20 }, () => request(http).post('/auth/signup').send({ email, password: PASSWORD })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    });
  });

  describe('login', () => {
    it('returns a token pair with the documented claims and a hardened refresh cookie', async () => {
      const { userId: id, email } = await signUp(app);
      const res = await request(http).post('/auth/login').send({ email, password: PASSWORD }).expect(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 604800 });

      const access = decode(res.body.accessToken);
      expect(access.header).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
      expect(access.payload).toMatchObject({ sub: id, typ: 'access', iss: 'todo-api', aud: 'todo-api' });
      expect(Object.keys(access.payload).sort()).toEqual(['amr', 'aud', 'exp', 'iat', 'iss', 'jti', 'sid', 'sub', 'typ']);
      expect(access.payload.amr).toEqual(['pwd']);
      expect((access.payload.exp as number) - (access.payload.iat as number)).toBe(900);

      const refreshClaims = decode(res.body.refreshToken);
      expect(refreshClaims.header.kid).not.toBe(access.header.kid);
      expect(refreshClaims.payload).toMatchObject({ sub: id, sid: access.payload.sid, typ: 'refresh', key: expect.any(String) });
      expect((refreshClaims.payload.exp as number) - (refreshClaims.payload.iat as number)).toBe(604800);

      const cookie = refreshCookie(res);
      expect(cookie).toBeDefined();
      expect(cookie).toContain(`refresh_token=${res.body.refreshToken}`);
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Strict/i);
      expect(cookie).toMatch(/Path=\/auth/);
      expect(cookie).toMatch(/Max-Age=604800(;|$)/);
      await me(app, res.body.accessToken).expect(200);
    });

    it('answers an unknown email and a wrong password with the same 401 body', async () => {
      const { email } = await signUp(app);
      const wrong = await request(http).post('/auth/login').send({ email, password: 'wrong password' }).expect(401);
      const unknown = await request(http).post('/auth/login').send({ email: newEmail(), password: PASSWORD }).expect(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body).toEqual({ statusCode: 401, message: 'Invalid email or password', error: 'Unauthorized' });
      await logIn(app, email);
    });

    it('answers 400 to a malformed body', async () => {
      await request(http).post('/auth/login').send({ email: 'nope', password: PASSWORD }).expect(400);
      await request(http).post('/auth/login').send({ email: 'a@example.com' }).expect(400);
    });
  });

  describe('routes behind an access token', () => {
    it.each([
      ['no token', undefined],
      ['a malformed token', 'Bearer not.a.jwt'],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
    ])('refuse %s with 401, WWW-Authenticate and a message that names no check', async (_name, header) => {
      const req = request(http).get('/users/me');
      expectInvalidToken(await (header ? req.set('authorization', header) : req));
    });

    it('refuse a refresh token used as an access token, and an expired one signed with the real key', async () => {
      const pair = await signUpAndLogIn(app);
      expectInvalidToken(await me(app, pair.refreshToken));

      const keys = await KeyStore.load({ KEYS_DIR: process.env.KEYS_DIR!, NODE_ENV: 'test' });
      const claims = decode(pair.accessToken).payload;
      const expired = jwt.sign(
        { ...claims, iat: Math.floor(Date.now() / 1000) - 1000, exp: Math.floor(Date.now() / 1000) - 1 },
        { privateKey: keys.jwt!.access.privateKey as never, algorithm: 'RS256', keyid: keys.jwt!.access.kid },
      );
      await me(app, expired).expect(401);
      await me(app, pair.accessToken).expect(200);
    });
  });

  describe('refresh', () => {
    it('rotates: a new pair for the same session, the presented token spent', async () => {
      const first = await signUpAndLogIn(app);
      const res = await refresh(app, first.refreshToken).expect(200);
      expect(res.body.refreshToken).not.toBe(first.refreshToken);
      expect(decode(res.body.accessToken).payload.sid).toBe(decode(first.accessToken).payload.sid);
      await me(app, res.body.accessToken).expect(200);
      await refresh(app, res.body.refreshToken).expect(200);
    });

    it('treats a spent token presented again as reuse: 401 and the whole session is revoked', async () => {
      const first = await signUpAndLogIn(app);
      const second = (await refresh(app, first.refreshToken).expect(200)).body;
      expectInvalidToken(await refresh(app, first.refreshToken));
      // The legitimate-looking newer pair dies with the session.
      await refresh(app, second.refreshToken).expect(401);
      await me(app, second.accessToken).expect(401);
      await me(app, first.accessToken).expect(401);
    });

    it('lets exactly one of 10 concurrent refreshes with one token win; the other nine are reuse and end the session', async () => {
      const pair = await signUpAndLogIn(app);
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(app, pair.refreshToken)));
      expect(results.map((r) => r.status).sort((a, b) => a - b)).toEqual([200, ...Array<number>(9).fill(401)]);
      const winner = results.find((r) => r.status === 200)!.body;
      await refresh(app, winner.refreshToken).expect(401);
      await me(app, winner.accessToken).expect(401);
    });

    it('works from the cookie alone and sets the next cookie', async () => {
      const pair = await signUpAndLogIn(app);
      const res = await request(http).post('/auth/refresh').set('cookie', `refresh_token=${pair.refreshToken}`).expect(200);
      const cookie = refreshCookie(res);
      expect(cookie).toContain(`refresh_token=${res.body.refreshToken}`);
      await me(app, res.body.accessToken).expect(200);
    });

    it('refuses no token, garbage and an access token, and still takes the refresh token', async () => {
      const pair = await signUpAndLogIn(app);
      await request(http).post('/auth/refresh').send({}).expect(401);
      await refresh(app, 'garbage').expect(401);
      await refresh(app, pair.accessToken).expect(401);
      await refresh(app, pair.refreshToken).expect(200);
    });
  });

  describe('logout', () => {
    it('ends this session at once: access and refresh tokens stop working, the cookie is cleared', async () => {
      const { email } = await signUp(app);
      const pair = await logIn(app, email);
      const other = await logIn(app, email);
      await me(app, pair.accessToken).expect(200);
      const res = await request(http).post('/auth/logout').set(bearer(pair.accessToken)).expect(204);
      const cookie = refreshCookie(res);
      // Cleared where it was set: a cookie of another path would be a second cookie, not this one.
      expect(cookie).toMatch(/^refresh_token=;/);
      expect(cookie).toMatch(/Max-Age=0(;|$)/);
      expect(cookie).toMatch(/Path=\/auth/);
      // Refused though this instance verified (and remembered) the token on the first request: the
      // session is checked on every request.
      await me(app, pair.accessToken).expect(401);
      await refresh(app, pair.refreshToken).expect(401);
      await me(app, other.accessToken).expect(200);
    });

    it('logout-all ends every session of the user and no one else’s', async () => {
      const { email } = await signUp(app);
      const a = await logIn(app, email);
      const b = await logIn(app, email);
      const stranger = await signUpAndLogIn(app);
      await request(http).post('/auth/logout-all').set(bearer(a.accessToken)).expect(204);
      await me(app, a.accessToken).expect(401);
      await me(app, b.accessToken).expect(401);
      await refresh(app, b.refreshToken).expect(401);
      await me(app, stranger.accessToken).expect(200);
    });

    it('logout and logout-all answer 401 without an access token', async () => {
      await request(http).post('/auth/logout').expect(401);
      await request(http).post('/auth/logout-all').expect(401);
    });
  });

  describe('sessions', () => {
    it('lists active sessions with the current one marked, and revokes another device', async () => {
      const { email } = await signUp(app);
      const phone = await logIn(app, email, PASSWORD, 'phone');
      const laptop = await logIn(app, email, PASSWORD, 'laptop');
      const res = await request(http).get('/auth/sessions').set(bearer(laptop.accessToken)).expect(200);
      expect(res.body).toHaveLength(2);
      for (const s of res.body) {
        expect(Object.keys(s).sort()).toEqual(['amr', 'createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'userAgent']);
        expect(s.amr).toEqual(['pwd']);
      }
      const current = res.body.find((s: { current: boolean }) => s.current);
      expect(current).toMatchObject({ id: decode(laptop.accessToken).payload.sid, userAgent: 'laptop' });
      const phoneSid = decode(phone.accessToken).payload.sid as string;

      await request(http).delete(`/auth/sessions/${phoneSid}`).set(bearer(laptop.accessToken)).expect(204);
      await me(app, phone.accessToken).expect(401);
      await refresh(app, phone.refreshToken).expect(401);
      const after = await request(http).get('/auth/sessions').set(bearer(laptop.accessToken)).expect(200);
      expect(after.body.map((s: { id: string }) => s.id)).toEqual([current.id]);
    });

    it('answers 404 for another user’s or an unknown session, 400 for a malformed id', async () => {
      const mine = await signUpAndLogIn(app);
      const theirs = await signUpAndLogIn(app);
      const theirSid = decode(theirs.accessToken).payload.sid as string;
      const auth = bearer(mine.accessToken);
      await request(http).delete(`/auth/sessions/${theirSid}`).set(auth).expect(404);
      await me(app, theirs.accessToken).expect(200);
      await request(http).delete('/auth/sessions/00000000-0000-4000-8000-000000000000').set(auth).expect(404);
      await request(http).delete('/auth/sessions/not-a-uuid').set(auth).expect(400);
    });
  });

  describe('users', () => {
    it('shows the profile without secrets', async () => {
      const { userId, email, accessToken } = await signUpAndLogIn(app);
      const res = await me(app, accessToken).expect(200);
      expect(Object.keys(res.body).sort()).toEqual([
        'createdAt',
        'email',
        'emailVerified',
        'id',
        'mfaEnabled',
        'name',
        'phoneNumber',
        'phoneVerified',
        'smsNotifications',
        'smsSuppressedUntil',
        'updatedAt',
      ]);
      expect(res.body).toMatchObject({
        id: userId,
        email,
        name: null,
        emailVerified: false,
        phoneNumber: null,
        smsNotifications: false,
        mfaEnabled: false,
      });
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(res.body.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      // Postgres renders GET's document (USERS.profileJson); PATCH's comes from the profile's row:
      // the same fields, values and text.
      const patched = await request(http).patch('/users/me').set(bearer(accessToken)).send({}).expect(200);
      expect(res.text).toBe(JSON.stringify(patched.body));
    });

    it.each([
      ['changes the name', { name: 'Grace' }, 'Grace'],
      ['takes a name of 100 characters that are each two UTF-16 units', { name: '😀'.repeat(100) }, '😀'.repeat(100)],
      ['clears the name with null', { name: null }, null],
    ])('PATCH /users/me %s', async (_, body, name) => {
      const user = await signUpAndLogIn(app, { name: 'Ada' });
      const res = await request(http).patch('/users/me').set(bearer(user.accessToken)).send(body).expect(200);
      expect(res.body).toMatchObject({ id: user.userId, email: user.email, name });
      expect((await me(app, user.accessToken).expect(200)).body).toMatchObject({ id: user.userId, email: user.email, name });
    });

    it.each([
      ['a name of 101 characters', { name: 'x'.repeat(101) }],
      ['an empty name', { name: '' }],
      ['a name with a NUL character', { name: 'a\u0000b' }],
      ['a name of 60 hearts (120 characters to Postgres)', { name: '❤️'.repeat(60) }],
      ['an email (it cannot be changed)', { email: 'new@example.com' }],
      ['a passwordHash', { passwordHash: 'x' }],
    ])('PATCH /users/me refuses %s with a 400 and changes nothing', async (_, body) => {
      const user = await signUpAndLogIn(app, { name: 'Ada' });
      const before = (await me(app, user.accessToken).expect(200)).body;
      await request(http).patch('/users/me').set(bearer(user.accessToken)).send(body).expect(400);
      expect((await me(app, user.accessToken).expect(200)).body).toEqual(before);
    });

    it('changes the password: a new pair here, every other session and earlier refresh token dead', async () => {
      const { email } = await signUp(app);
      const here = await logIn(app, email, PASSWORD, 'here');
      const elsewhere = await logIn(app, email, PASSWORD, 'elsewhere');
      const auth = bearer(here.accessToken);

      await request(http)
        .post('/users/me/password')
        .set(auth)
        .send({ currentPassword: 'wrong password', newPassword: 'new password 1' })
        .expect(403);
      await request(http).post('/users/me/password').set(auth).send({ currentPassword: PASSWORD, newPassword: 'short' }).expect(400);
      await me(app, elsewhere.accessToken).expect(200);

      const res = await request(http)
        .post('/users/me/password')
        .set(auth)
        .send({ currentPassword: PASSWORD, newPassword: 'new password 1' })
        .expect(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), refreshToken: expect.any(String) });
      await me(app, res.body.accessToken).expect(200);
      await me(app, elsewhere.accessToken).expect(401);
      await refresh(app, elsewhere.refreshToken).expect(401);
      await refresh(app, here.refreshToken).expect(401);
      await request(http).post('/auth/login').send({ email, password: PASSWORD }).expect(401);
      await logIn(app, email, 'new password 1');
      await refresh(app, res.body.refreshToken).expect(200);
    });

    it('deletes the account only with the right password; then nothing of it works', async () => {
      const { email } = await signUp(app);
      const pair = await logIn(app, email);
      const auth = bearer(pair.accessToken);
      await request(http).delete('/users/me').set(auth).send({ password: 'wrong password' }).expect(403);
      // bcrypt would match the first 72 bytes: a longer password is refused, never truncated.
      await request(http)
        .delete('/users/me')
        .set(auth)
        .send({ password: `${PASSWORD}${'x'.repeat(72)}` })
        .expect(400);
      await me(app, pair.accessToken).expect(200);
      await request(http).delete('/users/me').set(auth).send({ password: PASSWORD }).expect(204);
      await me(app, pair.accessToken).expect(401);
      await refresh(app, pair.refreshToken).expect(401);
      await request(http).post('/auth/login').send({ email, password: PASSWORD }).expect(401);
    });
  });

  describe('JWKS', () => {
    it('publishes the access keys (public parts only, RFC 7638 kids) with a max-age', async () => {
      const pair = await signUpAndLogIn(app);
      const res = await request(http).get('/.well-known/jwks.json').expect(200);
      expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
      const kids = res.body.keys.map((k: { kid: string }) => k.kid);
      expect(kids).toContain(decode(pair.accessToken).header.kid);
      expect(kids).not.toContain(decode(pair.refreshToken).header.kid);
      for (const key of res.body.keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      }
      const { calculateJwkThumbprint } = await import('jose');
      expect(await calculateJwkThumbprint(res.body.keys[0])).toBe(res.body.keys[0].kid);
      const privatePem = readFileSync(join(process.env.KEYS_DIR!, 'access-private.pem'), 'utf8');
      expect(createPrivateKey(privatePem).asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
    });
  });
});
