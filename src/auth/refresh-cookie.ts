import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyReply } from 'fastify';
import type { Environment } from '../config/environment.js';
import type { TokenPair } from './tokens/token.service.js';

export const REFRESH_COOKIE = 'refresh_token';

/**
 * The refresh token's cookie: HttpOnly (no script reads it), SameSite=Strict (no cross-site request
 * carries it), scoped to /auth, and Secure in production.
 */
@Injectable()
export class RefreshCookie {
  private readonly options: { httpOnly: true; sameSite: 'strict'; path: string; secure: boolean };

  constructor(config: ConfigService<Environment, true>) {
    this.options = { httpOnly: true, sameSite: 'strict', path: '/auth', secure: config.get('NODE_ENV', { infer: true }) === 'production' };
  }

  /** Sets the cookie to the pair's refresh token and hands the pair on. */
  set(reply: FastifyReply, pair: TokenPair): TokenPair {
    void reply.setCookie(REFRESH_COOKIE, pair.refreshToken, { ...this.options, maxAge: pair.refreshExpiresIn });
    return pair;
  }

  clear(reply: FastifyReply): void {
    void reply.clearCookie(REFRESH_COOKIE, this.options);
  }
}
