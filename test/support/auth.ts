import { expect } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request, { type Response } from 'supertest';
import type { TokenPair } from '../../src/auth/tokens/token.service.js';

export type { TokenPair };

/** The password of every test user that does not pick its own. */
export const PASSWORD = 'correct horse battery';

export interface SignedUpUser {
  userId: string;
  email: string;
  password: string;
}

export interface SignedInUser extends SignedUpUser {
  accessToken: string;
  refreshToken: string;
}

/** An email address no other test uses. */
export const newEmail = (): string => `user-${randomBytes(8).toString('hex')}@example.com`;

/** The header that presents an access token: `.set(bearer(token))`. */
export const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` });

/** A new account (a fresh email and PASSWORD unless given); fails the test unless signup answers 201. */
export async function signUp(
  app: NestFastifyApplication,
  { email = newEmail(), password = PASSWORD, name }: { email?: string; password?: string; name?: string } = {},
): Promise<SignedUpUser> {
  const res = await request(app.getHttpServer()).post('/auth/signup').send({ email, password, name }).expect(201);
  return { userId: res.body.id, email, password };
}

/** A new session; the user agent is what GET /auth/sessions shows for it. Fails the test unless login answers 200. */
export async function logIn(app: NestFastifyApplication, email: string, password = PASSWORD, userAgent = 'jest'): Promise<TokenPair> {
  const res = await request(app.getHttpServer()).post('/auth/login').set('user-agent', userAgent).send({ email, password }).expect(200);
  return res.body;
}

/** A brand-new user, signed up and logged in once. */
export async function signUpAndLogIn(app: NestFastifyApplication, options: Parameters<typeof signUp>[1] = {}): Promise<SignedInUser> {
  const user = await signUp(app, options);
  const { accessToken, refreshToken } = await logIn(app, user.email, user.password);
  return { ...user, accessToken, refreshToken };
}

/** GET /users/me with this access token: a cheap request that passes only while the session lives. */
export const me = (app: NestFastifyApplication, accessToken: string) =>
  request(app.getHttpServer()).get('/users/me').set(bearer(accessToken));

/** POST /auth/refresh with the token in the body. */
export const refresh = (app: NestFastifyApplication, refreshToken: string) =>
  request(app.getHttpServer()).post('/auth/refresh').send({ refreshToken });

/** The `refresh_token` cookie a response sets (or clears), as its Set-Cookie line. */
export function refreshCookie(res: Response): string | undefined {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((cookie) => cookie.startsWith('refresh_token='));
}

/**
 * The one answer to any refused access or refresh token: 401, the RFC 6750 challenge and a body
 * that names no check, so a client (or attacker) cannot tell which check failed.
 */
export function expectInvalidToken(res: Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  expect(res.body).toEqual({ statusCode: 401, message: 'Invalid or expired token', error: 'Unauthorized' });
}
