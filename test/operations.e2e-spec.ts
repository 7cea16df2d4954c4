import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { Readiness } from '../src/health/readiness.js';
import { MetricsService } from '../src/metrics/metrics.service.js';
import { createTestApp } from './support/app.js';
import { signUpAndLogIn } from './support/auth.js';
import { Authenticator } from './support/totp.js';

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
    const user = await signUpAndLogIn(app);
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
    const user = await signUpAndLogIn(app);
    const res = await request(app.getHttpServer())
      .post('/auth/login')
      .set('X-Forwarded-For', `198.51.100.${limit}`)
      .send({ email: user.email, password: user.password })
      .expect(200);
    const sessions = await request(app.getHttpServer()).get('/auth/sessions').auth(res.body.accessToken, { type: 'bearer' }).expect(200);
    expect(sessions.body.find((s: { current: boolean }) => s.current).ip).toBe(`198.51.100.${limit}`);

    // Each client named by the proxy has its own budget.
    const login = async (client: string) =>
      (
        await request(app.getHttpServer())
          .post('/auth/login')
          .set('X-Forwarded-For', client)
          .send({ email: user.email, password: 'wrong-password' })
      ).status;
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

describe('metrics', () => {
  let app: NestFastifyApplication;
  const METRICS_TOKEN = 'metrics-token-for-the-e2e-run';
  beforeAll(async () => {
    app = await createTestApp({ METRICS_TOKEN });
  });
  afterAll(async () => {
    await app.close();
  });

  const scrape = async () =>
    (
      await request(app.getHttpServer())
        .get('/metrics')
        .auth(METRICS_TOKEN, { type: 'bearer' })
        .expect(200)
        .expect('content-type', /^text\/plain/)
    ).text;
  const value = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  };

  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    await request(app.getHttpServer()).get('/metrics').expect(401);
    await request(app.getHttpServer()).get('/metrics').auth('not-the-metrics-token-at-all', { type: 'bearer' }).expect(401);
  });

  it('counts a login failure, and a request to a route with an id by its template, never the id', async () => {
    const user = await signUpAndLogIn(app);
    const before = await scrape();
    await request(app.getHttpServer()).post('/auth/login').send({ email: user.email, password: 'wrong-password' }).expect(401);
    const todo = await request(app.getHttpServer())
      .post('/todos')
      .auth(user.accessToken, { type: 'bearer' })
      .send({ title: 'm' })
      .expect(201);
    await request(app.getHttpServer()).get(`/todos/${todo.body.id}`).auth(user.accessToken, { type: 'bearer' }).expect(200);
    await request(app.getHttpServer()).get('/no/such/route/12345').expect(404);
    const after = await scrape();

    expect(value(after, 'auth_logins_total{result="failure"}') - value(before, 'auth_logins_total{result="failure"}')).toBe(1);
    const byTemplate = 'http_request_duration_seconds_count{method="GET",route="/todos/:id",status="200"}';
    expect(value(after, byTemplate) - value(before, byTemplate)).toBe(1);
    expect(after).not.toContain(todo.body.id);
    expect(after).toContain('route="unmatched",status="404"');
    expect(after).not.toContain('12345');
    for (const series of ['auth_logins_total{result="success"}', 'db_pool_connections{state="idle"}', 'db_pool_max_connections']) {
      expect(after).toContain(series);
    }
    for (const family of [
      'auth_refreshes_total',
      'auth_refresh_reuse_detected_total',
      'http_rate_limited_total',
      'messages_queued_total',
      'messages_delivered_total',
      'messages_failed_total',
    ]) {
      expect(after).toContain(`# TYPE ${family} counter`);
    }
  });

  it('counts a login when its session opens: a password login at once, an MFA login when its code is accepted', async () => {
    const user = await signUpAndLogIn(app);
    const http = app.getHttpServer();
    const success = 'auth_logins_total{result="success"}';
    let before = await scrape();
    await request(http).post('/auth/login').send({ email: user.email, password: user.password }).expect(200);
    expect(value(await scrape(), success) - value(before, success)).toBe(1);

    const setup = await request(http)
      .post('/auth/mfa/totp/setup')
      .auth(user.accessToken, { type: 'bearer' })
      .send({ password: user.password })
      .expect(200);
    const totp = new Authenticator(setup.body.secret);
    await request(http)
      .post('/auth/mfa/totp/enable')
      .auth(user.accessToken, { type: 'bearer' })
      .send({ code: await totp.next() })
      .expect(200);
    before = await scrape();
    const challenge = await request(http).post('/auth/login').send({ email: user.email, password: user.password }).expect(200);
    expect(value(await scrape(), success) - value(before, success)).toBe(0);
    await request(http)
      .post('/auth/login/mfa')
      .send({ mfaToken: challenge.body.mfaToken, code: await totp.next() })
      .expect(200);
    expect(value(await scrape(), success) - value(before, success)).toBe(1);
  });

  it('counts refreshes and detected reuses', async () => {
    const user = await signUpAndLogIn(app);
    const login = await request(app.getHttpServer()).post('/auth/login').send({ email: user.email, password: user.password }).expect(200);
    const before = await scrape();
    await request(app.getHttpServer()).post('/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(200);
    await request(app.getHttpServer()).post('/auth/refresh').send({ refreshToken: login.body.refreshToken }).expect(401);
    const after = await scrape();
    expect(value(after, 'auth_refreshes_total') - value(before, 'auth_refreshes_total')).toBe(1);
    expect(value(after, 'auth_refresh_reuse_detected_total') - value(before, 'auth_refresh_reuse_detected_total')).toBe(1);
  });

  it('counts queued, delivered and failed messages by channel for the queue to report', async () => {
    const metrics = app.get(MetricsService);
    metrics.messageQueued('sms');
    metrics.messageDelivered('sms');
    metrics.messageFailed('mail');
    const text = await scrape();
    expect(value(text, 'messages_queued_total{channel="sms"}')).toBe(1);
    expect(value(text, 'messages_delivered_total{channel="sms"}')).toBe(1);
    expect(value(text, 'messages_failed_total{channel="mail"}')).toBe(1);
  });
});
