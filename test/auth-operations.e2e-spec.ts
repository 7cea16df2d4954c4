import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { JwtService } from '@nestjs/jwt';
import { getDataSourceToken } from '@nestjs/typeorm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { SessionStateCache } from '../src/auth/sessions/session-state.cache.js';
import { rotateKeys } from '../src/auth/tokens/key-files.js';
import { createTestApp } from './support/app.js';
import { bearer, logIn, me, newEmail, PASSWORD, signUpAndLogIn } from './support/auth.js';

const kidOf = (token: string) => new JwtService({}).decode<{ header: { kid: string } }>(token, { complete: true }).header.kid;

/** Polls until `check` passes or `ms` runs out; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

describe('two instances on one database', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  beforeAll(async () => {
    [a, b] = [await createTestApp(), await createTestApp()];
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('a logout through instance A is refused by instance B within a second', async () => {
    const user = await signUpAndLogIn(a);
    // B has seen the session live, so it is in B's cache: only the notification can clear it.
    await me(b, user.accessToken).expect(200);
    await me(b, user.accessToken).expect(200);
    await request(a.getHttpServer()).post('/auth/logout').set(bearer(user.accessToken)).expect(204);
    await within(1_000, async () => (await me(b, user.accessToken)).status === 401);
    await me(a, user.accessToken).expect(401);
  });

  it('a password change through A ends the other sessions on B; deleting the user through B ends them on A', async () => {
    const user = await signUpAndLogIn(a);
    const second = await logIn(b, user.email);
    await me(b, second.accessToken).expect(200);
    const changed = await request(a.getHttpServer())
      .post('/users/me/password')
      .set(bearer(user.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'another password' })
      .expect(200);
    await within(1_000, async () => (await me(b, second.accessToken)).status === 401);

    await me(a, changed.body.accessToken).expect(200);
    await request(b.getHttpServer())
      .delete('/users/me')
      .set(bearer(changed.body.accessToken))
      .send({ password: 'another password' })
      .expect(204);
    // The sessions went by ON DELETE CASCADE: the trigger still told instance A.
    await within(1_000, async () => (await me(a, changed.body.accessToken)).status === 401);
  });

  it('while B cannot hear notifications it checks the database on every request, then listens again', async () => {
    const user = await signUpAndLogIn(a);
    await me(b, user.accessToken).expect(200);
    const cache = b.get(SessionStateCache);
    const dataSource = a.get<DataSource>(getDataSourceToken());
    const pid = cache.listenerPid;
    expect(pid).toEqual(expect.any(Number));
    await dataSource.query('SELECT pg_terminate_backend($1)', [pid]);
    await within(2_000, async () => !cache.listening);

    // Revoked behind B's back while it is deaf: the notification is lost, the check is not.
    await dataSource.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [
      new JwtService({}).decode<{ sid: string }>(user.accessToken).sid,
    ]);
    await me(b, user.accessToken).expect(401);

    await within(5_000, async () => cache.listening);
    const other = await signUpAndLogIn(a);
    await me(b, other.accessToken).expect(200);
  });
});

describe('rate limiting', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ AUTH_RATE_LIMIT: '3', AUTH_RATE_TTL: '60' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers 429 with Retry-After past the limit on login, and leaves other routes alone', async () => {
    const body = { email: newEmail(), password: PASSWORD };
    for (let i = 0; i < 3; i++) await request(app.getHttpServer()).post('/auth/login').send(body).expect(401);
    const limited = await request(app.getHttpServer()).post('/auth/login').send(body).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    await request(app.getHttpServer()).get('/health').expect(200);
    await request(app.getHttpServer()).get('/.well-known/jwks.json').expect(200);
  });
});

describe('key rotation', () => {
  it('keeps tokens issued before a rotation valid after a restart, and signs new ones with the new kid', async () => {
    const keysDir = await mkdtemp(join(tmpdir(), 'e2e-keys-rotation-'));
    try {
      const before = await createTestApp({ KEYS_DIR: keysDir });
      const user = await signUpAndLogIn(before);
      const oldKid = kidOf(user.accessToken);
      await before.close();

      const [access] = await rotateKeys(keysDir);
      expect(access.retiredKid).toBe(oldKid);

      const after = await createTestApp({ KEYS_DIR: keysDir });
      try {
        await me(after, user.accessToken).expect(200);
        const refreshed = await request(after.getHttpServer()).post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
        expect(kidOf(refreshed.body.accessToken)).toBe(access.newKid);
        await me(after, refreshed.body.accessToken).expect(200);
        const jwks = await request(after.getHttpServer()).get('/.well-known/jwks.json').expect(200);
        expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toEqual([access.newKid, oldKid]);
      } finally {
        await after.close();
      }
    } finally {
      await rm(keysDir, { recursive: true, force: true });
    }
  });
});
