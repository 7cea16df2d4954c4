import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { type SignedInUser, signUpAndLogIn } from './support/auth.js';

const WORKERS = 4;

describe('the database stopping under load', () => {
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  let user: SignedInUser;
  let errorLog: jest.Spied<Logger['error']>;
  let infoLog: jest.Spied<Logger['log']>;

  beforeAll(async () => {
    errorLog = jest.spyOn(Logger.prototype, 'error');
    infoLog = jest.spyOn(Logger.prototype, 'log');
    const direct = new URL(process.env.DATABASE_URL!);
    proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(direct);
    viaProxy.port = String(proxy.port);
    app = await createTestApp({ DATABASE_URL: viaProxy.toString() });
    user = await signUpAndLogIn(app);
  });
  afterAll(async () => {
    errorLog?.mockRestore();
    infoLog?.mockRestore();
    await app?.close();
    await proxy?.close();
  });

  it('answers 503 with Retry-After (never 500), loses no acknowledged write, logs once, and recovers without a restart', async () => {
    const answers: { status: number; retryAfter?: string; id?: string }[] = [];
    let phase: 'before' | 'down' | 'after' = 'before';
    let createdAfter = 0;
    let sent = 0;
    const worker = async (n: number) => {
      // Bounded: stops once writes succeed again after the outage, or after 600 requests in all.
      while (createdAfter < 10 && sent < 600) {
        sent++;
        const res = await request(app.getHttpServer())
          .post('/todos')
          .auth(user.accessToken, { type: 'bearer' })
          .send({ title: `load ${n}-${sent}` });
        answers.push({ status: res.status, retryAfter: res.headers['retry-after'], id: res.body.id });
        if (res.status === 201 && phase === 'after') createdAfter++;
        if (res.status === 503) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(n)));
    while (answers.filter((a) => a.status === 201).length < 20) await new Promise((resolve) => setTimeout(resolve, 10));
    await proxy.cut();
    phase = 'down';
    while (answers.filter((a) => a.status === 503).length < 20 && sent < 500) await new Promise((resolve) => setTimeout(resolve, 10));
    // Its rate-limit counter lives in the same unreachable database.
    const login = await request(app.getHttpServer()).post('/auth/login').send({ email: user.email, password: user.password });
    const ready = await request(app.getHttpServer()).get('/health/ready');
    await proxy.restore();
    phase = 'after';
    await load;

    expect([login.status, login.headers['retry-after']]).toEqual([503, '5']);
    expect(login.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable' });
    expect(ready.status).toBe(503);

    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].sort()).toEqual([201, 503]);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThanOrEqual(20);
    expect(unavailable.every((a) => Number(a.retryAfter) > 0)).toBe(true);
    expect(createdAfter).toBeGreaterThanOrEqual(10);

    const created = answers.filter((a) => a.status === 201).map((a) => a.id);
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ id: string }>('SELECT id FROM todos WHERE id = ANY($1::uuid[])', [created]);
      expect(rows).toHaveLength(created.length);
    } finally {
      await db.end();
    }

    const down = errorLog.mock.calls.filter(([message]) => String(message).startsWith('database unavailable'));
    expect(down).toHaveLength(1);
    expect(errorLog.mock.calls.filter(([message]) => !String(message).startsWith('database unavailable'))).toEqual([]);
    // The recovery line comes from a probe that runs every second.
    for (let i = 0; i < 30 && !infoLog.mock.calls.some(([m]) => String(m).startsWith('database reachable again')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(infoLog.mock.calls.filter(([m]) => String(m).startsWith('database reachable again'))).toHaveLength(1);
    await request(app.getHttpServer()).get('/health').expect(200);
  });
});
