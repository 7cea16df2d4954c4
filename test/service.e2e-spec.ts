import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from './support/app.js';

describe('service', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('reports healthy when the database answers', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', database: 'up' });
  });

  it('sends security headers and no X-Powered-By', async () => {
    const res = await request(app.getHttpServer()).get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    // JSON answers: nothing to render, frame or load.
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    // Headers for documents or for browsers long gone: not on JSON.
    for (const name of [
      'cross-origin-opener-policy',
      'origin-agent-cluster',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-xss-protection',
    ]) {
      expect({ name, value: res.headers[name] }).toEqual({ name, value: undefined });
    }
  });

  it('lets the key sets be cached for a while, unlike every other answer', async () => {
    const keys = await request(app.getHttpServer()).get('/.well-known/jwks.json').expect(200);
    expect(keys.headers['cache-control']).toBe('public, max-age=300');
  });

  it('gives the Swagger UI the policy a page needs: its own scripts, inline styles, data: images', async () => {
    const page = await request(app.getHttpServer()).get('/docs').expect(200).expect('content-type', /html/);
    const policy = page.headers['content-security-policy'];
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self' 'unsafe-inline'");
    expect(policy).toContain("img-src 'self' data:");
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    // The page's scripts and styles are its own ('self', under /docs) and are there.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map(
      (match) => new URL(match[1], 'http://api.test/docs').pathname,
    );
    expect(assets).toContain('/docs/swagger-ui-init.js');
    for (const asset of assets) await request(app.getHttpServer()).get(asset).expect(200);
  });

  it('sends no HSTS and no upgrade-insecure-requests over plain HTTP, so /docs renders at http://<host>:3000', async () => {
    // A client's own X-Forwarded-Proto is not believed without TRUST_PROXY.
    for (const path of ['/docs', '/docs/swagger-ui-init.js', '/health']) {
      const res = await request(app.getHttpServer()).get(path).set('x-forwarded-proto', 'https').expect(200);
      expect({ path, hsts: res.headers['strict-transport-security'] }).toEqual({ path, hsts: undefined });
      expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    }
  });

  it('answers malformed JSON with a 400 in Nest’s error shape, no internals', async () => {
    const res = await request(app.getHttpServer())
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.stringify(res.body)).not.toMatch(/stack|at .*\.js/);
  });

  it('refuses a body over 100 kB with a 413', async () => {
    const res = await request(app.getHttpServer())
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(110 * 1024) }))
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
  });

  it('takes JSON bodies only: a form post or plain text is a 415, never parsed', async () => {
    const form = await request(app.getHttpServer())
      .post('/auth/login')
      .type('form')
      .send('email=a%40example.com&password=correct+horse')
      .expect(415);
    expect(form.body).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type' });
    await request(app.getHttpServer()).post('/auth/login').set('content-type', 'text/plain').send('{}').expect(415);
    // The same credentials as JSON reach the handler (a 401 for an unknown user, not a 415).
    await request(app.getHttpServer()).post('/auth/login').send({ email: 'a@example.com', password: 'correct horse' }).expect(401);
  });

  it('refuses deeply nested JSON with a 400 before validation recurses into it', async () => {
    const nested = `{"email":${'['.repeat(5000)}${']'.repeat(5000)},"password":"password123"}`;
    const res = await request(app.getHttpServer()).post('/auth/signup').set('content-type', 'application/json').send(nested).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('nested') });
    const shallow = `{"email":${'['.repeat(3)}${']'.repeat(3)},"password":"password123"}`;
    await request(app.getHttpServer()).post('/auth/signup').set('content-type', 'application/json').send(shallow).expect(400);
  });

  it.each([
    ['__proto__', '{"email":"a@example.com","password":"password123","__proto__":{"isAdmin":true}}'],
    ['constructor.prototype', '{"email":"a@example.com","password":"password123","constructor":{"prototype":{"isAdmin":true}}}'],
  ])('refuses a body carrying %s (prototype poisoning) with a 400', async (_key, body) => {
    const res = await request(app.getHttpServer()).post('/auth/login').set('content-type', 'application/json').send(body).expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringContaining('forbidden') });
    // The same body without the poisoned key reaches the handler: an unknown user is a 401.
    await request(app.getHttpServer()).post('/auth/login').send({ email: 'a@example.com', password: 'password123' }).expect(401);
  });

  it('answers an unknown route with a 404 in Nest’s shape', async () => {
    const res = await request(app.getHttpServer()).get('/nope').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404 });
  });
});

describe('health with the database down', () => {
  it('answers 503 when the database does not', async () => {
    const app = await createTestApp();
    try {
      // Closing the pool is the database going away as far as this instance can tell.
      const { DataSource } = await import('typeorm');
      await app.get(DataSource).destroy();
      const res = await request(app.getHttpServer()).get('/health').expect(503);
      expect(res.body).toMatchObject({ status: 'error', database: 'down' });
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});

describe('security headers behind a proxy that terminated TLS (TRUST_PROXY)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    // The test's client is the nearest hop: one trusted hop makes it the proxy.
    app = await createTestApp({ TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('keeps HSTS and upgrade-insecure-requests for what was served over HTTPS', async () => {
    const docs = await request(app.getHttpServer()).get('/docs').set('x-forwarded-proto', 'https').expect(200);
    expect(docs.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(docs.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    const api = await request(app.getHttpServer()).get('/health').set('x-forwarded-proto', 'https').expect(200);
    expect(api.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(api.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it('and still not for what the proxy says came over plain HTTP', async () => {
    const docs = await request(app.getHttpServer()).get('/docs').set('x-forwarded-proto', 'http').expect(200);
    expect(docs.headers['strict-transport-security']).toBeUndefined();
    expect(docs.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
  });
});
