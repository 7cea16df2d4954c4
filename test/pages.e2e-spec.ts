import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { logIn, me, newEmail, PASSWORD, signUp } from './support/auth.js';
import { type ReceivedMail, TestSmtpServer } from './support/smtp-server.js';

const APP_URL = 'http://localhost:3998';
const tokenIn = (received: ReceivedMail, path: string) =>
  new RegExp(`${APP_URL}/${path}\\?token=([A-Za-z0-9_-]{43})`).exec(received.mail.text ?? '')![1];
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** The mail links' pages without a browser: what each request does and answers (pages-browser.e2e-spec.ts walks them in Chromium). */
describe('pages opened from mail', () => {
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  let http: ReturnType<NestFastifyApplication['getHttpServer']>;

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    app = await createTestApp({ SMTP_URL: smtp.url, APP_URL, QUEUE_POLL_INTERVAL_MS: '500' });
    http = app.getHttpServer();
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.stop();
  });

  const postForm = (path: string, fields: Record<string, string>) =>
    request(http).post(path).set('content-type', 'application/x-www-form-urlencoded').send(form(fields));

  async function resetToken(email: string): Promise<string> {
    const before = smtp.mailsTo(email, 'Reset your password').length;
    await request(http).post('/auth/password/forgot').send({ email }).expect(202);
    return tokenIn(await smtp.waitForMail(email, { count: before + 1, subject: 'Reset your password' }), 'reset-password');
  }

  it('a GET of the verification link shows a button and spends nothing; the form post verifies, once', async () => {
    const user = await signUp(app);
    const token = tokenIn(await smtp.waitForMail(user.email, { subject: 'Confirm your email address' }), 'verify-email');
    const { accessToken } = await logIn(app, user.email);

    for (let i = 0; i < 2; i++) {
      const page = await request(http).get(`/verify-email?token=${token}`).expect(200).expect('content-type', 'text/html; charset=utf-8');
      expect(page.text).toContain('<button type="submit">Confirm my email address</button>');
      expect(page.text).toContain(`name="token" value="${token}"`);
    }
    await expect(me(app, accessToken).expect(200)).resolves.toMatchObject({ body: { emailVerified: false } });

    const done = await postForm('/verify-email', { token }).expect(200);
    expect(done.text).toContain('Email address verified');
    expect(done.text).toContain(user.email);
    await expect(me(app, accessToken).expect(200)).resolves.toMatchObject({ body: { emailVerified: true } });

    const again = await postForm('/verify-email', { token }).expect(400);
    expect(again.text).toContain('has been used already, or has expired');
    expect(again.text).toContain('Send a new verification link');
    const reopened = await request(http).get(`/verify-email?token=${token}`).expect(200);
    expect(reopened.text).toContain('This link no longer works');
  });

  it('the reset form applies the API password rules next to the field, then changes the password once', async () => {
    const user = await signUp(app);
    const token = await resetToken(user.email);
    await request(http).get(`/reset-password?token=${token}`).expect(200);
    await logIn(app, user.email); // the GET spent nothing

    const tooShort = await postForm('/reset-password', { token, newPassword: 'short' }).expect(400);
    expect(tooShort.text).toContain(
      '<p class="error" id="newPassword-error">The new password must be 8 to 72 bytes of UTF-8 with no NUL character</p>',
    );
    expect(tooShort.text).toContain('aria-describedby="newPassword-hint newPassword-error" aria-invalid="true"');
    const tooLong = await postForm('/reset-password', { token, newPassword: 'é'.repeat(37) }).expect(400);
    expect(tooLong.text).toContain('The new password must be 8 to 72 bytes');

    const changed = await postForm('/reset-password', { token, newPassword: 'a brand new password' }).expect(200);
    expect(changed.text).toContain('Your password is changed');
    await logIn(app, user.email, 'a brand new password');
    await request(http).post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);

    const used = await postForm('/reset-password', { token, newPassword: 'another new password' }).expect(400);
    expect(used.text).toContain('has been used already, or has expired');
    expect(used.text).toContain('href="/forgot-password"');
  });

  it('a malformed or missing token shows the dead-link page, never an error', async () => {
    for (const query of ['', '?token=', '?token=short', `?token=${'x'.repeat(43)}&token=${'y'.repeat(43)}`, '?token=%3Cscript%3E']) {
      const page = await request(http).get(`/reset-password${query}`).expect(200);
      expect(page.text).toContain('This link no longer works');
      expect(page.text).not.toContain('<script>');
    }
    await postForm('/verify-email', {}).expect(400);
    await postForm('/verify-email', { token: randomBytes(32).toString('base64url') }).expect(400);
  });

  it('the forgot-password form mails a link for a known address and answers the same for an unknown one', async () => {
    const user = await signUp(app);
    const known = await postForm('/forgot-password', { email: user.email.toUpperCase() }).expect(200);
    const unknown = await postForm('/forgot-password', { email: newEmail() }).expect(200);
    expect(unknown.text).toBe(known.text);
    await smtp.waitForMail(user.email, { subject: 'Reset your password' });
    const bad = await postForm('/forgot-password', { email: 'not an address' }).expect(400);
    expect(bad.text).toContain('The email address must be a valid email address');
    expect(bad.text).toContain('value="not an address"');
  });

  it('pages carry their own CSP without unsafe-inline, no-store and no referrer; escaping holds', async () => {
    for (const path of ['/account', '/forgot-password', `/verify-email?token=${'a'.repeat(43)}`, '/reset-password']) {
      const page = await request(http).get(path).expect(200);
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      expect(page.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(page.headers['origin-agent-cluster']).toBe('?1');
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc="\/assets\/)/);
      expect(page.text).not.toMatch(/\sstyle=|<style/);
      expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    const echoed = await postForm('/forgot-password', { email: '"><script>alert(1)</script>' }).expect(400);
    expect(echoed.text).not.toContain('<script>alert');
    expect(echoed.text).toContain('&quot;&gt;&lt;script&gt;');
  });

  it('serves the stylesheet and scripts from its own origin, with validators', async () => {
    for (const [name, type] of [
      ['pages.css', 'text/css; charset=utf-8'],
      ['account.js', 'text/javascript; charset=utf-8'],
      ['webauthn.js', 'text/javascript; charset=utf-8'],
    ]) {
      const res = await request(http).get(`/assets/${name}`).expect(200).expect('content-type', type);
      await request(http).get(`/assets/${name}`).set('if-none-match', res.headers.etag).expect(304);
    }
    await request(http).get('/assets/..%2Fpages.controller.ts').expect(404);
    await request(http).get('/assets/nope.js').expect(404);
  });

  it('takes a form post only on page routes: the API still answers 415 to one', async () => {
    const user = await signUp(app);
    await request(http)
      .post('/auth/login')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send(form({ email: user.email, password: PASSWORD }))
      .expect(415);
    await request(http)
      .post('/auth/password/reset')
      .set('content-type', 'application/x-www-form-urlencoded')
      .send(form({ token: 'x'.repeat(43), newPassword: 'whatever password' }))
      .expect(415);
  });
});

describe('the forgot-password page under a flood', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ APP_URL, AUTH_RATE_LIMIT: '2', AUTH_RATE_TTL: '60' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('is rate limited like the API, and says so in a page', async () => {
    const post = () =>
      request(app.getHttpServer())
        .post('/forgot-password')
        .set('content-type', 'application/x-www-form-urlencoded')
        .send(form({ email: newEmail() }));
    await post().expect(200);
    await post().expect(200);
    const limited = await post().expect(429).expect('content-type', 'text/html; charset=utf-8');
    expect(limited.text).toMatch(/Too many requests from your address; please try again in \d+ seconds/);
    expect(limited.headers['content-security-policy']).not.toContain('unsafe-inline');
  });
});
