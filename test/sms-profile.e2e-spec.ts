import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createTestApp } from './support/app.js';
import { type SignedInUser, signUpAndLogIn } from './support/auth.js';

/** API.md, Users: `phoneNumber` and `smsNotifications` on GET/PATCH /users/me. */
describe('phone number and SMS opt-in on the profile', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp();
  });
  afterAll(async () => {
    await app?.close();
  });

  const me = (user: SignedInUser) => request(app.getHttpServer()).get('/users/me').auth(user.accessToken, { type: 'bearer' });
  const patch = (user: SignedInUser, body: object) =>
    request(app.getHttpServer()).patch('/users/me').auth(user.accessToken, { type: 'bearer' }).send(body);

  it('starts with no number and no text messages', async () => {
    const user = await signUpAndLogIn(app);
    const res = await me(user).expect(200);
    expect(res.body).toMatchObject({ phoneNumber: null, smsNotifications: false });
  });

  it('sets a number and opts in, together or one after the other', async () => {
    const together = await signUpAndLogIn(app);
    const res = await patch(together, { phoneNumber: '+14155550100', smsNotifications: true }).expect(200);
    expect(res.body).toMatchObject({ phoneNumber: '+14155550100', smsNotifications: true });
    await expect(me(together).then((r) => r.body)).resolves.toMatchObject({ phoneNumber: '+14155550100', smsNotifications: true });

    const stepwise = await signUpAndLogIn(app);
    await patch(stepwise, { phoneNumber: '+447700900123' }).expect(200);
    const opted = await patch(stepwise, { smsNotifications: true }).expect(200);
    expect(opted.body).toMatchObject({ phoneNumber: '+447700900123', smsNotifications: true });
    const changed = await patch(stepwise, { phoneNumber: '+33612345678' }).expect(200);
    expect(changed.body).toMatchObject({ phoneNumber: '+33612345678', smsNotifications: true });
    const off = await patch(stepwise, { smsNotifications: false }).expect(200);
    expect(off.body).toMatchObject({ phoneNumber: '+33612345678', smsNotifications: false });
  });

  it('refuses to opt in without a number, and leaves the profile as it was', async () => {
    const user = await signUpAndLogIn(app);
    const res = await patch(user, { smsNotifications: true }).expect(400);
    expect(JSON.stringify(res.body.message)).toContain('smsNotifications');
    await patch(user, { phoneNumber: null, smsNotifications: true }).expect(400);
    await patch(user, { name: 'Ada', smsNotifications: true }).expect(400);
    await expect(me(user).then((r) => r.body)).resolves.toMatchObject({ name: null, phoneNumber: null, smsNotifications: false });
  });

  it('turns text messages off when the number is removed', async () => {
    const user = await signUpAndLogIn(app);
    await patch(user, { phoneNumber: '+14155550100', smsNotifications: true }).expect(200);
    const res = await patch(user, { phoneNumber: null }).expect(200);
    expect(res.body).toMatchObject({ phoneNumber: null, smsNotifications: false });
    // Removing the number while asking to stay opted in is a contradiction, not a silent choice.
    await patch(user, { phoneNumber: '+14155550100', smsNotifications: true }).expect(200);
    await patch(user, { phoneNumber: null, smsNotifications: true }).expect(400);
    await expect(me(user).then((r) => r.body)).resolves.toMatchObject({ phoneNumber: '+14155550100', smsNotifications: true });
  });

  it.each([
    ['no plus', '14155550100'],
    ['too short', '+1234567'],
    ['too long', '+1234567890123456'],
    ['spaces', '+1 415 555 0100'],
    ['a leading zero', '+04155550100'],
    ['a number', 14155550100],
    ['empty', ''],
  ])('refuses a phone number with %s', async (_, phoneNumber) => {
    const user = await signUpAndLogIn(app);
    const res = await patch(user, { phoneNumber }).expect(400);
    expect(JSON.stringify(res.body.message)).toContain('phoneNumber');
  });

  it.each([null, 'true', 1])('refuses smsNotifications=%p', async (smsNotifications) => {
    const user = await signUpAndLogIn(app);
    await patch(user, { phoneNumber: '+14155550100' }).expect(200);
    await patch(user, { smsNotifications }).expect(400);
  });

  it('documents both fields in Swagger', async () => {
    const { body } = await request(app.getHttpServer()).get('/docs-json').expect(200);
    const schemas = body.components.schemas as Record<string, { properties: Record<string, { type?: string; pattern?: string }> }>;
    expect(schemas.UserProfileDto.properties).toMatchObject({
      phoneNumber: { type: 'string' },
      smsNotifications: { type: 'boolean' },
    });
    expect(schemas.UpdateProfileDto.properties.phoneNumber.pattern).toBeDefined();
    expect(schemas.UpdateProfileDto.properties.smsNotifications).toMatchObject({ type: 'boolean' });
  });
});
