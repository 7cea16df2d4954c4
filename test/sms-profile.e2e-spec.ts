import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { type SignedInUser, signUpAndLogIn } from './support/auth.js';
import { FakeVonage } from './support/fake-vonage.js';
import { newMobileNumber, proveInDatabase } from './support/phone.js';
import { until } from './support/until.js';

/** Seconds between two codes for one user in this file: short, so a test can wait it out. */
const COOLDOWN = 3;

/**
 * API.md, Users and Phone verification: `phoneNumber`, `phoneVerified`, `smsNotifications` and
 * `smsSuppressedUntil` on GET/PATCH /users/me, and proving a number with a texted code. Codes are
 * read where a person would read them: in the text the fake Vonage received.
 */
describe('phone number, its verification and SMS opt-in on the profile', () => {
  let fake: FakeVonage;
  let app: NestFastifyApplication;
  let db: pg.Client;

  beforeAll(async () => {
    fake = await FakeVonage.start();
    app = await createTestApp({
      SMS_PROVIDER: 'vonage',
      VONAGE_API_KEY: 'key123',
      VONAGE_API_SECRET: 'secret456',
      VONAGE_FROM: 'TodoApi',
      VONAGE_API_URL: fake.url,
      QUEUE_POLL_INTERVAL_MS: '500',
      PHONE_CODE_COOLDOWN: String(COOLDOWN),
    });
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await app?.close();
    await fake?.stop();
  });

  const me = (user: SignedInUser) => request(app.getHttpServer()).get('/users/me').auth(user.accessToken, { type: 'bearer' });
  const patch = (user: SignedInUser, body: object) =>
    request(app.getHttpServer()).patch('/users/me').auth(user.accessToken, { type: 'bearer' }).send(body);
  const askCode = (user: SignedInUser) =>
    request(app.getHttpServer()).post('/users/me/phone/code').auth(user.accessToken, { type: 'bearer' });
  const verify = (user: SignedInUser, code: unknown) =>
    request(app.getHttpServer()).post('/users/me/phone/verify').auth(user.accessToken, { type: 'bearer' }).send({ code });

  /** A signed-in user whose address is verified (verification by mail is account-recovery's subject). */
  async function verifiedUser(): Promise<SignedInUser> {
    const user = await signUpAndLogIn(app);
    await proveInDatabase(db, user.userId);
    return user;
  }

  /** The code in the `count`th text to `number`. */
  async function codeTextedTo(number: string, count = 1): Promise<string> {
    const text = await until(
      () => (fake.requestsTo(number)[count - 1]?.body as { text?: string } | undefined)?.text,
      `text ${count} to ${number}`,
    );
    const code = /\b(\d{6})\b/.exec(text)?.[1];
    if (!code) throw new Error(`no code in ${JSON.stringify(text)}`);
    return code;
  }

  it('starts with no number, nothing verified, and no texts held back', async () => {
    const user = await signUpAndLogIn(app);
    const res = await me(user).expect(200);
    expect(res.body).toMatchObject({ phoneNumber: null, phoneVerified: false, smsNotifications: false, smsSuppressedUntil: null });
  });

  it('refuses a number or texts on an account whose email is not verified (403), and allows both once it is', async () => {
    const user = await signUpAndLogIn(app);
    const number = newMobileNumber();
    const refused = await patch(user, { phoneNumber: number }).expect(403);
    expect(refused.body.message).toContain('Verify your email address first');
    await patch(user, { smsNotifications: true }).expect(403);
    await patch(user, { phoneNumber: number, smsNotifications: true }).expect(403);
    // Removing what is not there and turning texts off never need a proof.
    await patch(user, { phoneNumber: null, smsNotifications: false }).expect(200);
    expect(fake.requestsTo(number)).toEqual([]);

    await proveInDatabase(db, user.userId);
    const set = await patch(user, { phoneNumber: number }).expect(200);
    expect(set.body).toMatchObject({ phoneNumber: number, phoneVerified: false, smsNotifications: false });
  });

  it('texts a new number a 6-digit code; the code proves it once, and then texts can be turned on', async () => {
    const user = await verifiedUser();
    const number = newMobileNumber();
    await patch(user, { phoneNumber: number }).expect(200);
    const code = await codeTextedTo(number);
    expect((fake.requestsTo(number)[0].body as { text: string }).text).toContain('expires in 10 minutes');

    const early = await patch(user, { smsNotifications: true }).expect(400);
    expect(early.body.message).toContain('verified');
    const proved = await verify(user, code).expect(200);
    expect(proved.body).toMatchObject({ phoneNumber: number, phoneVerified: true, smsNotifications: false });
    await verify(user, code).expect(400);
    const on = await patch(user, { smsNotifications: true }).expect(200);
    expect(on.body).toMatchObject({ phoneVerified: true, smsNotifications: true });
    // Setting the same number again changes nothing and texts nothing.
    await patch(user, { phoneNumber: number }).expect(200);
    await expect(me(user).then((r) => r.body)).resolves.toMatchObject({ phoneVerified: true, smsNotifications: true });
    expect(fake.requestsTo(number)).toHaveLength(1);
    // Proving the number is in the owner's security events, once.
    const events = await request(app.getHttpServer())
      .get('/users/me/security-events')
      .auth(user.accessToken, { type: 'bearer' })
      .expect(200);
    expect(events.body.items.filter((e: { type: string }) => e.type === 'phone_verified')).toHaveLength(1);
  });

  it('stores the code only as a hash', async () => {
    const user = await verifiedUser();
    const number = newMobileNumber();
    await patch(user, { phoneNumber: number }).expect(200);
    const code = await codeTextedTo(number);
    const { rows } = await db.query<Record<string, unknown>>('SELECT * FROM phone_codes WHERE user_id = $1', [user.userId]);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0])).not.toContain(code);
    expect(rows[0].code_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('allows 5 tries per code: after 5 wrong ones the right code is refused, and a new code (after the cooldown) works', async () => {
    const user = await verifiedUser();
    const number = newMobileNumber();
    await patch(user, { phoneNumber: number }).expect(200);
    const code = await codeTextedTo(number);
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 0; i < 5; i++) {
      const res = await verify(user, wrong).expect(400);
      expect(res.body.message).toContain('POST /users/me/phone/code');
    }
    await verify(user, code).expect(400);

    // The PATCH started the cooldown: a resend at once is a 429 that says when.
    const soon = await askCode(user).expect(429);
    expect(Number(soon.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(soon.body.message).toContain('phone-code-per-user');
    await new Promise((resolve) => setTimeout(resolve, (COOLDOWN + 0.2) * 1000));
    await askCode(user).expect(202);
    const second = await codeTextedTo(number, 2);
    await verify(user, second).expect(200);
  });

  it('makes the earlier code stop working when a new one is texted', async () => {
    const user = await verifiedUser();
    const number = newMobileNumber();
    await patch(user, { phoneNumber: number }).expect(200);
    const first = await codeTextedTo(number);
    await new Promise((resolve) => setTimeout(resolve, (COOLDOWN + 0.2) * 1000));
    await askCode(user).expect(202);
    const second = await codeTextedTo(number, 2);
    if (first !== second) await verify(user, first).expect(400);
    await verify(user, second).expect(200);
  });

  it('answers 409 to a code request without a number, or for a number already verified', async () => {
    const user = await verifiedUser();
    await askCode(user).expect(409);
    const number = newMobileNumber();
    await proveInDatabase(db, user.userId, { number, smsNotifications: false });
    await askCode(user).expect(409);
  });

  it('treats a changed number as unverified and turns texts off; removing the number turns them off too', async () => {
    const user = await verifiedUser();
    await proveInDatabase(db, user.userId, { number: newMobileNumber(), smsNotifications: true });
    const other = newMobileNumber();
    const changed = await patch(user, { phoneNumber: other }).expect(200);
    expect(changed.body).toMatchObject({ phoneNumber: other, phoneVerified: false, smsNotifications: false });
    // Changing the number and keeping texts on in one request would text an unproved number.
    await proveInDatabase(db, user.userId, { number: other, smsNotifications: true });
    await patch(user, { phoneNumber: newMobileNumber(), smsNotifications: true }).expect(400);
    await expect(me(user).then((r) => r.body)).resolves.toMatchObject({ phoneNumber: other, smsNotifications: true });

    const removed = await patch(user, { phoneNumber: null }).expect(200);
    expect(removed.body).toMatchObject({ phoneNumber: null, phoneVerified: false, smsNotifications: false });
    await patch(user, { phoneNumber: null, smsNotifications: true }).expect(400);
  });

  it('refuses to opt in without a number, and leaves the profile as it was', async () => {
    const user = await verifiedUser();
    const res = await patch(user, { smsNotifications: true }).expect(400);
    expect(JSON.stringify(res.body.message)).toContain('smsNotifications');
    await patch(user, { name: 'Ada', smsNotifications: true }).expect(400);
    await expect(me(user).then((r) => r.body)).resolves.toMatchObject({ name: null, phoneNumber: null, smsNotifications: false });
  });

  it.each([
    ['no plus', '14155550100'],
    ['too short', '+1234567'],
    ['too long', '+1234567890123456'],
    ['spaces', '+1 415 555 0100'],
    ['a leading zero', '+04155550100'],
    ['a number', 14155550100],
    ['empty', ''],
    ['no numbering plan (international shared-cost +882)', '+882340000001'],
    ['a premium-rate type (GB 0871)', '+448712345678'],
    ['a shared-cost type (FR 0810)', '+33810123456'],
    ['a toll-free type (US 800)', '+18005550100'],
    ['a VoIP type (GB 056)', '+445612345678'],
    ['a personal-number type (GB 070)', '+447012345678'],
    ['an invalid GB mobile length', '+4477009123456'],
  ])('refuses a phone number with %s', async (_, phoneNumber) => {
    const user = await verifiedUser();
    const res = await patch(user, { phoneNumber }).expect(400);
    expect(JSON.stringify(res.body.message)).toContain('phoneNumber');
    await expect(me(user).then((r) => r.body.phoneNumber)).resolves.toBeNull();
  });

  it('accepts mobile numbers, stored in E.164', async () => {
    for (const number of ['+14155550100', '+33612345678', '+4915123456789']) {
      const user = await verifiedUser();
      await patch(user, { phoneNumber: number }).expect(200);
    }
  });

  it.each([null, 'true', 1])('refuses smsNotifications=%p', async (smsNotifications) => {
    const user = await verifiedUser();
    await patch(user, { smsNotifications }).expect(400);
  });

  it.each([['12345'], ['1234567'], ['12345a'], [123456], [null]])('refuses the code %p as malformed', async (code) => {
    const user = await verifiedUser();
    const res = await verify(user, code).expect(400);
    expect(JSON.stringify(res.body.message)).toContain('6 digits');
  });

  describe('with SMS_COUNTRIES', () => {
    let limited: NestFastifyApplication;
    beforeAll(async () => {
      // Same provider as the main app: both work the one queue, so either may deliver a code.
      limited = await createTestApp({
        SMS_PROVIDER: 'vonage',
        VONAGE_API_KEY: 'key123',
        VONAGE_API_SECRET: 'secret456',
        VONAGE_FROM: 'TodoApi',
        VONAGE_API_URL: fake.url,
        SMS_COUNTRIES: 'fr,de',
      });
    });
    afterAll(async () => {
      await limited?.close();
    });

    it('refuses a number of another country with 400 naming the allowed ones, and accepts an allowed one', async () => {
      const user = await signUpAndLogIn(limited);
      await proveInDatabase(db, user.userId);
      const patchOn = (body: object) =>
        request(limited.getHttpServer()).patch('/users/me').auth(user.accessToken, { type: 'bearer' }).send(body);
      const refused = await patchOn({ phoneNumber: newMobileNumber() }).expect(400);
      expect(refused.body.message).toContain('FR, DE');
      await patchOn({ phoneNumber: '+33612345678' }).expect(200);
    });
  });

  it('documents the fields and routes in Swagger', async () => {
    const { body } = await request(app.getHttpServer()).get('/docs-json').expect(200);
    const schemas = body.components.schemas as Record<
      string,
      { properties: Record<string, { type?: string; pattern?: string; nullable?: boolean }> }
    >;
    expect(schemas.UserProfileDto.properties).toMatchObject({
      phoneNumber: { type: 'string' },
      phoneVerified: { type: 'boolean' },
      smsNotifications: { type: 'boolean' },
      smsSuppressedUntil: { type: 'string', nullable: true },
    });
    expect(schemas.UpdateProfileDto.properties.phoneNumber.pattern).toBeDefined();
    expect(schemas.VerifyPhoneDto.properties.code.pattern).toBe('^[0-9]{6}$');
    expect(Object.keys(body.paths['/users/me/phone/code'].post.responses)).toEqual(expect.arrayContaining(['202', '403', '409', '429']));
    expect(Object.keys(body.paths['/users/me/phone/verify'].post.responses)).toEqual(expect.arrayContaining(['200', '400']));
  });
});
