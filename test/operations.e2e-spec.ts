import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Readiness } from '../src/health/readiness.js';
import { createTestApp } from './support/app.js';
import { signUpAndLogin } from './support/users.js';

describe('browsers on other origins (CORS_ORIGINS)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ CORS_ORIGINS: 'https://app.example.com,http://localhost:5173' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers a preflight from an allowed origin, with credentials', async () => {
    const res = await request(app.getHttpServer())
      .options('/todos')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
  });

  it('does not answer a preflight from another origin', async () => {
    const res = await request(app.getHttpServer())
      .options('/todos')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).not.toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('names the allowed origin on an ordinary response', async () => {
    const res = await request(app.getHttpServer()).get('/health').set('Origin', 'http://localhost:5173').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });
});

describe('without CORS_ORIGINS', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('sends no CORS headers, even to a preflight', async () => {
    const res = await request(app.getHttpServer())
      .options('/todos')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).not.toBe(204);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('ignores X-Forwarded-For: the session records the socket address', async () => {
    const user = await signUpAndLogin(app);
    await request(app.getHttpServer())
      .post('/auth/login')
      .set('X-Forwarded-For', '203.0.113.7')
      .send({ email: user.email, password: user.password })
      .expect(200);
    const sessions = await request(app.getHttpServer()).get('/auth/sessions').auth(user.accessToken, { type: 'bearer' }).expect(200);
    expect(sessions.body.map((s: { ip: string }) => s.ip)).not.toContain('203.0.113.7');
  });
});

// Rate-limit counters live in the run's database, shared by every block; the limit is part of a
// counter's key, so each block below uses a limit of its own.
describe.each([
  ['loopback addresses', '127.0.0.1,::1,::ffff:127.0.0.1', 7],
  ['a hop count', '1', 8],
])('behind a trusted proxy (TRUST_PROXY as %s)', (_label, TRUST_PROXY, limit) => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ TRUST_PROXY, AUTH_RATE_LIMIT: String(limit), AUTH_RATE_TTL: '60' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('takes the client address from X-Forwarded-For, for sessions and rate limits', async () => {
    const user = await signUpAndLogin(app);
    const res = await request(app.getHttpServer())
      .post('/auth/login')
      .set('X-Forwarded-For', `198.51.100.${limit}`)
      .send({ email: user.email, password: user.password })
      .expect(200);
    const sessions = await request(app.getHttpServer()).get('/auth/sessions').auth(res.body.accessToken, { type: 'bearer' }).expect(200);
    expect(sessions.body.find((s: { current: boolean }) => s.current).ip).toBe(`198.51.100.${limit}`);

    // Each client named by the proxy has its own budget.
    const login = async (client: string) =>
      (await request(app.getHttpServer()).post('/auth/login').set('X-Forwarded-For', client).send({ email: user.email, password: 'wrong-password' }))
        .status;
    for (let i = 0; i < limit; i++) expect(await login('203.0.113.1')).toBe(401);
    expect(await login('203.0.113.1')).toBe(429);
    expect(await login('203.0.113.2')).toBe(401);
  });
});

describe('rate limits without a trusted proxy', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ AUTH_RATE_LIMIT: '9', AUTH_RATE_TTL: '60' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('cannot be reset by inventing an X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await request(app.getHttpServer())
        .post('/auth/login')
        .set('X-Forwarded-For', `192.0.2.${i + 1}`)
        .send({ email: 'nobody@example.com', password: 'wrong-password' });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(9).fill(401), 429, 429]);
  });
});

describe('health for orchestrators', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('is live and ready while the database answers', async () => {
    await request(app.getHttpServer()).get('/health/live').expect(200, { status: 'ok' });
    await request(app.getHttpServer()).get('/health/ready').expect(200, { status: 'ok', database: 'up' });
  });

  it('stops being ready, but stays live, once shutdown begins', async () => {
    app.get(Readiness).beginShutdown();
    const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(res.body).toMatchObject({ statusCode: 503, status: 'shutting down' });
    await request(app.getHttpServer()).get('/health/live').expect(200);
    await request(app.getHttpServer()).get('/health').expect(200);
  });
});
