import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Page } from 'puppeteer-core';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { logIn, newEmail, PASSWORD, signUp } from './support/auth.js';
import {
  addVirtualAuthenticator,
  CHROMIUM,
  cspViolations,
  launchChromium,
  NO_CHROMIUM_REASON,
  type RunningBrowser,
  screenshot,
  seriousAccessibilityViolations,
  watch,
  widthAt320,
} from './support/browser.js';
import { freePort } from './support/database.js';
import { type ReceivedMail, TestSmtpServer } from './support/smtp-server.js';

// .ci/run installs Chromium and sets REQUIRE_BROWSER_TESTS, so CI never skips these silently.
if (!CHROMIUM && process.env.REQUIRE_BROWSER_TESTS) throw new Error(NO_CHROMIUM_REASON.replace('skipped', 'required'));
if (!CHROMIUM) console.warn(NO_CHROMIUM_REASON);
const describeInChromium = CHROMIUM ? describe : describe.skip;

const WALK_TIMEOUT = 120_000;

const linkIn = (received: ReceivedMail, path: string): string => {
  const match = new RegExp(`(http://localhost:\\d+/${path}\\?token=[A-Za-z0-9_-]{43})`).exec(received.mail.text ?? '');
  if (!match) throw new Error(`no ${path} link in "${received.mail.subject}"`);
  return match[1];
};

const text = (page: Page, selector: string) =>
  page.$eval(selector, (element) => (element as unknown as { textContent: string }).textContent.trim());

describeInChromium('pages in a real Chromium', () => {
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  let origin: string;
  let chromium: RunningBrowser;
  const screenshots: string[] = [];

  beforeAll(async () => {
    smtp = await TestSmtpServer.create();
    const port = await freePort();
    origin = `http://localhost:${port}`;
    app = await createTestApp({ SMTP_URL: smtp.url, APP_URL: origin, QUEUE_POLL_INTERVAL_MS: '500' });
    await app.listen({ port, host: '127.0.0.1' });
    chromium = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await chromium?.close();
    await app?.close();
    await smtp?.stop();
    if (screenshots.length > 0) console.log(`Screenshots of the walks:\n${screenshots.join('\n')}`);
  });

  /** A new tab in a context of its own (no cookie from another walk) that records what it loads and any CSP violation. */
  async function open(): Promise<{ page: Page; requests: string[] }> {
    const context = await chromium.browser.createBrowserContext();
    const page = await context.newPage();
    const { requests } = await watch(page);
    return { page, requests };
  }

  /**
   * What every page must pass, as the tab shows it now: nothing from another origin, no CSP
   * violation, no serious accessibility violation, no sideways scrolling at 320 px; then a
   * screenshot at that width.
   */
  async function checkPage(page: Page, requests: string[], name: string): Promise<void> {
    expect(requests.filter((url) => !url.startsWith(`${origin}/`))).toEqual([]);
    await expect(cspViolations(page)).resolves.toEqual([]);
    await expect(seriousAccessibilityViolations(page)).resolves.toEqual([]);
    const { scrollWidth, viewport } = await widthAt320(page);
    expect(viewport).toBe(320);
    expect(scrollWidth).toBeLessThanOrEqual(viewport);
    screenshots.push(await screenshot(page, name));
  }

  async function submitAndWait(page: Page, selector: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  async function signInWithPassword(page: Page, email: string, password: string): Promise<void> {
    await page.waitForSelector('#signed-out:not([hidden])');
    await page.type('#email', email);
    await page.type('#password', password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#signed-in:not([hidden])');
  }

  it(
    'verify-email: the mailed link opens a page, the button verifies, and the account page says so',
    async () => {
      const { page, requests } = await open();
      const email = newEmail();
      await signUp(app, { email });
      const link = linkIn(await smtp.waitForMail(email, { subject: 'Confirm your email address' }), 'verify-email');

      const response = await page.goto(link);
      expect(response?.status()).toBe(200);
      const csp = response!.headers()['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(await text(page, 'h1')).toBe('Confirm your email address');
      await checkPage(page, requests, 'verify-email-1-button');

      await submitAndWait(page, 'button[type=submit]');
      expect(await text(page, 'h1')).toBe('Email address verified');
      expect(await text(page, 'p.success')).toContain(email);
      await checkPage(page, requests, 'verify-email-2-verified');

      await page.goto(`${origin}/account`);
      await signInWithPassword(page, email, PASSWORD);
      expect(await text(page, '#me-verified')).toBe('Your email address is verified.');
      await checkPage(page, requests, 'verify-email-3-account');

      // The link was spent by the button, not by opening it: opening it again says it is used.
      await page.goto(link);
      expect(await text(page, 'h1')).toBe('This link no longer works');
      await page.browserContext().close();
    },
    WALK_TIMEOUT,
  );

  it(
    'reset-password: ask for a link, a too-short password shows the rule by the field, a good one works, the link is then used',
    async () => {
      const { page, requests } = await open();
      const user = await signUp(app);

      await page.goto(`${origin}/forgot-password`);
      await checkPage(page, requests, 'reset-password-1-forgot');
      await page.type('#email', user.email);
      await submitAndWait(page, 'button[type=submit]');
      expect(await text(page, 'h1')).toBe('Check your mail');
      const link = linkIn(await smtp.waitForMail(user.email, { subject: 'Reset your password' }), 'reset-password');

      await page.goto(link);
      expect(await text(page, 'h1')).toBe('Choose a new password');
      await page.type('#newPassword', 'short');
      await submitAndWait(page, 'button[type=submit]');
      expect(await text(page, '#newPassword-error')).toBe('The new password must be 8 to 72 bytes of UTF-8 with no NUL character');
      expect(
        await page.$eval('#newPassword', (input) => (input as unknown as { getAttribute(n: string): string }).getAttribute('aria-invalid')),
      ).toBe('true');
      await checkPage(page, requests, 'reset-password-2-rule');

      // By keyboard alone: the field has the focus after the error; Tab reaches the button, Enter submits.
      expect(await page.evaluate('document.activeElement.id')).toBe('newPassword');
      await page.keyboard.type('a much better password');
      await page.keyboard.press('Tab');
      expect(await page.evaluate('document.activeElement.textContent')).toBe('Change my password');
      await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      expect(await text(page, 'h1')).toBe('Password changed');
      await checkPage(page, requests, 'reset-password-3-changed');

      await logIn(app, user.email, 'a much better password');
      await request(app.getHttpServer()).post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);

      await page.goto(link);
      expect(await text(page, 'h1')).toBe('This link no longer works');
      expect(await page.$eval('main a', (a) => (a as unknown as { getAttribute(n: string): string }).getAttribute('href'))).toBe(
        '/forgot-password',
      );
      await checkPage(page, requests, 'reset-password-4-used');
      await page.browserContext().close();
    },
    WALK_TIMEOUT,
  );

  it(
    'account: register two passkeys with virtual authenticators, list, delete one, sign out, sign in with the passkey',
    async () => {
      const { page, requests } = await open();
      const user = await signUp(app);
      const names = () =>
        page.$$eval('#passkeys li strong', (items) => items.map((item) => (item as unknown as { textContent: string }).textContent));
      const addPasskey = async (name: string, count: number) => {
        await page.type('#passkey-name', name);
        await page.click('#add-passkey button[type=submit]');
        await page.waitForFunction(`document.querySelectorAll('#passkeys li').length === ${count}`);
        expect(await text(page, '#status')).toBe(`Passkey “${name}” added.`);
      };

      await page.goto(`${origin}/account`);
      await checkPage(page, requests, 'account-1-signed-out');
      await signInWithPassword(page, user.email, user.password);
      expect(await text(page, '#no-passkeys')).toBe('You have no passkey yet.');

      // One authenticator holds one passkey per account (the options exclude those it has), so the
      // second passkey comes from a second device: the phone, then the laptop.
      const phone = await addVirtualAuthenticator(page);
      await addPasskey('Phone', 1);
      const [phoneCredential] = (await phone.cdp.send('WebAuthn.getCredentials', { authenticatorId: phone.authenticatorId })).credentials;
      expect(phoneCredential.isResidentCredential).toBe(true);
      await phone.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: phone.authenticatorId });
      const laptop = await addVirtualAuthenticator(page);
      await addPasskey('Laptop', 2);
      expect(await names()).toEqual(['Phone', 'Laptop']);

      await page.click('button[aria-label="Delete passkey Phone"]');
      await page.waitForFunction(`document.querySelectorAll('#passkeys li').length === 1`);
      expect(await names()).toEqual(['Laptop']);
      expect(await text(page, '#status')).toBe('Passkey “Phone” deleted.');
      await checkPage(page, requests, 'account-2-passkeys');

      await page.setViewport({ width: 800, height: 900 });
      await page.click('#logout');
      await page.waitForSelector('#signed-out:not([hidden])');

      const passkeyLogin = page.waitForResponse((response) => response.url() === `${origin}/auth/passkeys/login`);
      const profile = page.waitForResponse((response) => response.url() === `${origin}/users/me`);
      await page.click('#passkey-login');
      expect((await passkeyLogin).status()).toBe(200);
      expect((await profile).status()).toBe(200);
      await page.waitForSelector('#signed-in:not([hidden])');
      expect(await text(page, '#me-email')).toBe(user.email);
      expect(await text(page, '#status')).toBe('You are signed in with your passkey.');
      const [used] = (await laptop.cdp.send('WebAuthn.getCredentials', { authenticatorId: laptop.authenticatorId })).credentials;
      expect(used.signCount).toBeGreaterThan(0);

      // A normal session: the refresh cookie signs a reloaded page in again.
      await page.reload();
      await page.waitForSelector('#signed-in:not([hidden])');
      expect(await names()).toEqual(['Laptop']);
      await checkPage(page, requests, 'account-3-passkey-signed-in');
      await page.browserContext().close();
    },
    WALK_TIMEOUT,
  );
});
