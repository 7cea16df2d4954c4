import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';

export interface SignedInUser {
  userId: string;
  email: string;
  password: string;
  accessToken: string;
}

/** A brand-new user (unique random email unless one is given), signed up and logged in. */
export async function signUpAndLogin(app: NestFastifyApplication, email?: string): Promise<SignedInUser> {
  const address = email ?? `user-${randomBytes(8).toString('hex')}@example.com`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const signup = await request(app.getHttpServer()).post('/auth/signup').send({ email: address, password }).expect(201);
  const login = await request(app.getHttpServer()).post('/auth/login').send({ email: address, password }).expect(200);
  return { userId: signup.body.id, email: address, password, accessToken: login.body.accessToken };
}
