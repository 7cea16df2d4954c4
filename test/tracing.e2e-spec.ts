import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeVonage } from './support/fake-vonage.js';
import { buildServerOnce, freePort, Instance } from './support/instances.js';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { newMobileNumber } from './support/phone.js';
import { describeWithRedis } from './support/redis-server.js';
import { TestSmtpServer } from './support/smtp-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;
const PASSWORD = 'correct horse battery';
const PHONE = newMobileNumber();

/** The span and all its ancestors in `spans`, nearest first. */
function ancestry(span: ReceivedSpan, spans: ReceivedSpan[]): ReceivedSpan[] {
  const chain = [span];
  for (let parent = span.parentSpanId; parent;) {
    const next = spans.find((s) => s.spanId === parent);
    if (!next) break;
    chain.push(next);
    parent = next.parentSpanId;
  }
  return chain;
}

/**
 * The built server (`node --import ./dist/tracing/instrument.js dist/main.js`, as npm run
 * start:prod runs it) exporting to an OTLP/HTTP receiver this test runs: the ESM loader hook and
 * the instrumentations of pg, ioredis, http and fetch are only real in a real process.
 */
describeWithRedis('tracing (OpenTelemetry, OTLP/HTTP)', (redis) => {
  let receiver: OtlpReceiver;
  let vonage: FakeVonage;
  let smtp: TestSmtpServer;
  let server: Instance;
  const email = `traced-${process.pid}-${Date.now()}@example.com`;
  let accessToken = '';
  let refreshToken = '';

  const call = (method: string, path: string, body?: unknown, token?: string) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'tracing-e2e',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    [receiver, vonage, smtp] = await Promise.all([OtlpReceiver.start(), FakeVonage.start(), TestSmtpServer.create(), buildServerOnce()]);
    server = new Instance(await freePort(), {
      NODE_OPTIONS: `--import=${resolve(ROOT, 'dist/tracing/instrument.js')}`,
      DATABASE_URL: process.env.DATABASE_URL!,
      KEYS_DIR: process.env.KEYS_DIR!,
      REDIS_URL: redis().url,
      AUTH_RATE_LIMIT: '100000',
      SMTP_URL: smtp.url,
      SMS_PROVIDER: 'vonage',
      VONAGE_API_KEY: 'key123',
      VONAGE_API_SECRET: 'secret456',
      VONAGE_FROM: 'TodoApi',
      VONAGE_API_URL: vonage.url,
      QUEUE_POLL_INTERVAL_MS: '500',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_SERVICE_NAME: 'todo-api-e2e',
    });
    await server.ready();

    // A full session of an SMS user: signup, the address verified, login, a refresh, a number proved
    // with its texted code, text messages on, a todo.
    expect((await call('POST', '/auth/signup', { email, password: PASSWORD })).status).toBe(201);
    const verification = await smtp.waitForMail(email);
    const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(verification.mail.text ?? '')![1];
    expect((await call('POST', '/auth/verify-email', { token })).status).toBe(200);
    const login = await call('POST', '/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    ({ refreshToken } = (await login.json()) as { accessToken: string; refreshToken: string });
    const refreshed = await call('POST', '/auth/refresh', { refreshToken });
    expect(refreshed.status).toBe(200);
    ({ accessToken, refreshToken } = (await refreshed.json()) as { accessToken: string; refreshToken: string });
    const texts = async (count: number) => {
      const deadline = Date.now() + 20_000;
      while (vonage.requestsTo(PHONE).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(vonage.requestsTo(PHONE)).toHaveLength(count);
      return vonage.requestsTo(PHONE).map((r) => (r.body as { text: string }).text);
    };
    expect((await call('PATCH', '/users/me', { phoneNumber: PHONE }, accessToken)).status).toBe(200);
    const [codeText] = await texts(1);
    expect((await call('POST', '/users/me/phone/verify', { code: /\d{6}/.exec(codeText)![0] }, accessToken)).status).toBe(200);
    expect((await call('PATCH', '/users/me', { smsNotifications: true }, accessToken)).status).toBe(200);
    expect((await call('POST', '/todos', { title: 'Renew passport' }, accessToken)).status).toBe(201);
    expect((await texts(2))[1]).toBe('New todo: Renew passport');
  }, 120_000);

  afterAll(async () => {
    await server?.kill();
    await Promise.all([receiver?.stop(), vonage?.stop(), smtp?.stop()]);
  });

  it('exports one tree for POST /todos: the route span, its handler and SQL, and the queued SMS delivery with its Vonage call', async () => {
    const request = await receiver.waitFor((s) => s.kind === SERVER && s.name === 'POST /todos', 'POST /todos');
    expect(request.attributes['http.route']).toBe('/todos');
    expect(request.parentSpanId).toBeUndefined();

    const delivery = await receiver.waitFor(
      (s) => s.name === 'sms deliver' && s.traceId === request.traceId,
      'sms deliver in the request trace',
    );
    const vonageCall = await receiver.waitFor(
      (s) => s.kind === CLIENT && s.traceId === request.traceId && String(s.attributes['url.full']).startsWith(`${vonage.url}/v1/messages`),
      'the Vonage call',
    );
    const spans = receiver.trace(request.traceId);

    const handler = spans.find((s) => s.name === 'TodosController.create');
    expect(handler?.parentSpanId).toBe(request.spanId);
    const sql = spans.filter(
      (s) => s.kind === CLIENT && (s.attributes['db.system.name'] === 'postgresql' || s.attributes['db.system'] === 'postgresql'),
    );
    expect(sql.length).toBeGreaterThan(0);
    // The todo's insert and the queue's insert, under the handler, in the request's tree.
    for (const span of sql.filter((s) => ancestry(s, spans).includes(handler!))) expect(ancestry(span, spans).at(-1)).toBe(request);
    expect(sql.filter((s) => ancestry(s, spans).includes(handler!)).length).toBeGreaterThanOrEqual(2);

    // The delivery is a consumer span in the same tree, linked to the span that queued it.
    expect(delivery.kind).toBe(CONSUMER);
    expect(ancestry(delivery, spans).at(-1)).toBe(request);
    expect(delivery.links).toHaveLength(1);
    expect(spans.map((s) => s.spanId)).toContain(delivery.links[0].spanId);
    expect(ancestry(vonageCall, spans)).toContain(delivery);
    // TRACE_TREE_FILE=<path> writes this trace as the tree docs/tracing.md shows.
    if (process.env.TRACE_TREE_FILE) writeFileSync(process.env.TRACE_TREE_FILE, receiver.render(request.traceId));
  });

  it('names every server span by its route template and traces Redis, SMTP and the log line', async () => {
    const login = await receiver.waitFor((s) => s.kind === SERVER && s.name === 'POST /auth/login', 'POST /auth/login');
    // The login's rate-limit counter lives in Redis.
    await receiver.waitFor(
      (s) => s.traceId === login.traceId && (s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis'),
      'a Redis span in the login trace',
    );
    const signup = await receiver.waitFor((s) => s.kind === SERVER && s.name === 'POST /auth/signup', 'POST /auth/signup');
    const smtpSend = await receiver.waitFor(
      (s) => s.name === 'smtp send' && s.traceId === signup.traceId,
      'the verification mail over SMTP',
    );
    expect(ancestry(smtpSend, receiver.trace(signup.traceId)).map((s) => s.name)).toEqual([
      'smtp send',
      'mail deliver',
      'AuthController.signup',
      'POST /auth/signup',
    ]);
    await receiver.waitFor((s) => s.kind === SERVER && s.name === 'PATCH /users/me', 'PATCH /users/me');

    // The request's log line carries the ids of its server span.
    const todo = await receiver.waitFor((s) => s.kind === SERVER && s.name === 'POST /todos', 'POST /todos');
    const line = server.logs.find((l) => l.msg === 'request' && l.route === '/todos' && l.method === 'POST');
    expect(line).toMatchObject({ trace_id: todo.traceId, span_id: todo.spanId });
  });

  it("follows the caller's traceparent: a sampled one continues its trace, an unsampled one is left out", async () => {
    const get = (traceparent: string) =>
      fetch(`${server.url}/users/me`, { headers: { authorization: `Bearer ${accessToken}`, traceparent } });
    const [continued, leftOut, after] = [randomBytes(16), randomBytes(16), randomBytes(16)].map((id) => id.toString('hex'));
    const parent = randomBytes(8).toString('hex');

    expect((await get(`00-${continued}-${parent}-01`)).status).toBe(200);
    const span = await receiver.waitFor((s) => s.kind === SERVER && s.traceId === continued, 'the continued trace');
    expect(span).toMatchObject({ name: 'GET /users/me', parentSpanId: parent });
    expect(span.attributes['http.response.status_code']).toBe(200);

    // Answered all the same, and nothing of it exported: a later traced request's span arriving
    // means the batch that would have held it has gone.
    expect((await get(`00-${leftOut}-${parent}-00`)).status).toBe(200);
    expect((await get(`00-${after}-${parent}-01`)).status).toBe(200);
    await receiver.waitFor((s) => s.traceId === after, 'the request after it');
    expect(receiver.trace(leftOut)).toEqual([]);
  });

  it('ends the span of a request whose client goes away before the answer, as an error', async () => {
    const [aborted, finished] = [randomBytes(16), randomBytes(16)].map((id) => id.toString('hex'));
    const parent = randomBytes(8).toString('hex');
    // Half a body, then the connection closed: the login never reaches its handler.
    const socket = connect(server.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(
      `POST /auth/login HTTP/1.1\r\nHost: localhost\r\ntraceparent: 00-${aborted}-${parent}-01\r\n` +
        'content-type: application/json\r\ncontent-length: 100\r\n\r\n{"email":',
    );
    await new Promise((r) => setTimeout(r, 200));
    socket.destroy();
    const span = await receiver.waitFor((s) => s.kind === SERVER && s.traceId === aborted, 'the aborted request');
    expect(span.name).toBe('POST /auth/login');
    expect((span.raw as { status?: { code?: number; message?: string } }).status).toMatchObject({ code: 2, message: 'request aborted' });

    // A request answered in full is not an error, whatever its status.
    const wrong = await fetch(`${server.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${finished}-${parent}-01` },
      body: JSON.stringify({ email, password: 'not the password' }),
    });
    expect(wrong.status).toBe(401);
    const answered = await receiver.waitFor((s) => s.kind === SERVER && s.traceId === finished, 'the answered request');
    expect(answered.attributes['http.response.status_code']).toBe(401);
    expect((answered.raw as { status?: { code?: number } }).status?.code ?? 0).not.toBe(2);
  });

  it("keeps each request's SQL in its own trace while requests queue for a pooled connection", async () => {
    // More requests at once than the pool has connections (10): most wait, and are handed a
    // connection from inside another request's query as it ends. Half are sampled, half left out.
    const ids = Array.from({ length: 40 }, () => randomBytes(16).toString('hex'));
    const sampled = ids.filter((_, i) => i % 2 === 0);
    const parent = randomBytes(8).toString('hex');
    const profileSpans = () => receiver.spans.filter((s) => s.name.startsWith('pg.query:user_profile_json')).length;
    const before = profileSpans();
    const answers = await Promise.all(
      ids.map((id, i) =>
        fetch(`${server.url}/users/me`, {
          headers: { authorization: `Bearer ${accessToken}`, traceparent: `00-${id}-${parent}-0${(i + 1) % 2}` },
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(ids.map(() => 200));
    const marker = randomBytes(16).toString('hex');
    await fetch(`${server.url}/users/me`, {
      headers: { authorization: `Bearer ${accessToken}`, traceparent: `00-${marker}-${parent}-01` },
    });
    await receiver.waitFor(
      (s) => s.traceId === marker && s.name.startsWith('pg.query:user_profile_json'),
      'the SQL span of the request after them',
    );

    for (const id of sampled) {
      const names = receiver.trace(id).map((span) => (span.name.startsWith('pg.query:') ? span.name.split(' ')[0] : span.name));
      expect({ id, names: names.sort() }).toEqual({
        id,
        names: ['GET /users/me', 'UsersController.profile', 'pg.query:user_profile_json'],
      });
    }
    for (const id of ids.filter((id) => !sampled.includes(id))) expect(receiver.trace(id)).toEqual([]);
    // The left-out requests' SQL went nowhere else either: one SQL span per sampled request and the marker's.
    expect(profileSpans() - before).toBe(sampled.length + 1);
  });

  it('exports no token, password, phone number or email in any span', async () => {
    await receiver.waitFor((s) => s.name === 'sms deliver', 'the last span of the session');
    const exported = receiver.bodies.join('\n');
    expect(exported.length).toBeGreaterThan(0);
    for (const secret of [accessToken, refreshToken, PASSWORD, PHONE, PHONE.slice(1), email]) {
      expect(exported).not.toContain(secret);
    }
  });
});
