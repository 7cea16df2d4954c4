import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createTestApp } from './support/app.js';
import { bearer, me, refresh, signUpAndLogIn, type TokenPair } from './support/auth.js';
import { claimsOf } from './support/tokens.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<['jwt' | 'paseto']>([['jwt'], ['paseto']])('REFRESH_REUSE_GRACE, TOKEN_FORMAT=%s', (format) => {
  // Two instances on one database with a long grace (no test here depends on timing), and one
  // with a one-second grace for what happens after it.
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  let short: NestFastifyApplication;
  let db: DataSource;
  beforeAll(async () => {
    // One after the other: the first may generate the run's keys.
    a = await createTestApp({ TOKEN_FORMAT: format, REFRESH_REUSE_GRACE: '60' });
    b = await createTestApp({ TOKEN_FORMAT: format, REFRESH_REUSE_GRACE: '60' });
    short = await createTestApp({ TOKEN_FORMAT: format, REFRESH_REUSE_GRACE: '1' });
    db = a.get<DataSource>(getDataSourceToken());
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close(), short?.close()]);
  });
  const session = async (sid: unknown) =>
    (await db.query('SELECT refresh_jti, previous_jti, revoked_at FROM sessions WHERE id = $1', [sid]))[0] as {
      refresh_jti: string;
      previous_jti: string | null;
      revoked_at: Date | null;
    };

  /** The spent token was reuse: 401, its session revoked, and the session's newest pair dead with it. */
  const expectReuseRevokes = async (app: NestFastifyApplication, spent: string, newest: TokenPair) => {
    await refresh(app, spent).expect(401);
    expect((await session(claimsOf(spent).sid)).revoked_at).not.toBeNull();
    await refresh(app, newest.refreshToken).expect(401);
    await me(app, newest.accessToken).expect(401);
  };

  it('answers 10 concurrent refreshes with one token (across two instances) with 200s that converge on one live jti', async () => {
    const pair = await signUpAndLogIn(a);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => refresh(i % 2 ? a : b, pair.refreshToken)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const jtis = new Set(results.map((r) => claimsOf(r.body.refreshToken).jti));
    expect(jtis.size).toBe(1);
    const sid = claimsOf(pair.refreshToken).sid;
    const row = await session(sid);
    expect(row.refresh_jti).toBe([...jtis][0]);
    expect(row.previous_jti).toBe(claimsOf(pair.refreshToken).jti);
    expect(row.revoked_at).toBeNull();
    for (const r of results) await me(a, r.body.accessToken).expect(200);

    // The converged token is the live one: it rotates once; a copy of it is then inside the grace too.
    const tabs = results.slice(0, 2).map((r) => r.body.refreshToken as string);
    const next = await refresh(a, tabs[0]).expect(200);
    const second = await refresh(b, tabs[1]).expect(200);
    expect(claimsOf(second.body.refreshToken).jti).toBe(claimsOf(next.body.refreshToken).jti);
    expect((await session(sid)).revoked_at).toBeNull();
  });

  it('treats the token spent before the last one as reuse even within the grace: 401 and the session revoked', async () => {
    const first = await signUpAndLogIn(a);
    const second = (await refresh(a, first.refreshToken).expect(200)).body as TokenPair;
    const third = (await refresh(a, second.refreshToken).expect(200)).body as TokenPair;
    await expectReuseRevokes(a, first.refreshToken, third);
  });

  it('treats the last spent token as reuse once the grace is over: 401 and the session revoked', async () => {
    const first = await signUpAndLogIn(short);
    const second = (await refresh(short, first.refreshToken).expect(200)).body as TokenPair;
    await refresh(short, first.refreshToken).expect(200);
    // The grace is one second; wait past it (this asserts nothing about speed).
    await sleep(2_100);
    await expectReuseRevokes(short, first.refreshToken, second);
  });

  it('still refuses a recently spent token once its session is logged out', async () => {
    const first = await signUpAndLogIn(a);
    const second = (await refresh(a, first.refreshToken).expect(200)).body as TokenPair;
    await request(a.getHttpServer()).post('/auth/logout').set(bearer(second.accessToken)).expect(204);
    await refresh(a, first.refreshToken).expect(401);
    await refresh(a, second.refreshToken).expect(401);
  });
});
