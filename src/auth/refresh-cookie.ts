import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Environment } from '../config/environment.js';
import type { TokenPair } from './tokens/token.service.js';

export const REFRESH_COOKIE = 'refresh_token';

/**
 * The refresh token the request's `Cookie` header carries, if any. Parsed here, by the only code
 * that reads a cookie, rather than by a plugin hook on every request of every route.
 */
export function refreshCookieOf(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const header = request.headers.cookie;
  return header ? parseCookie(header)[REFRESH_COOKIE] || undefined : undefined;
}

/**
 * The refresh token's cookie: HttpOnly (no script reads it), SameSite=Strict (no cross-site request
 * carries it), scoped to /auth, and Secure in production.
 */
@Injectable()
export class RefreshCookie {
  private readonly attributes: Omit<SetCookie, 'value'>;

  constructor(config: ConfigService<Environment, true>) {
    this.attributes = {
      name: REFRESH_COOKIE,
      httpOnly: true,
      sameSite: 'strict',
      path: '/auth',
      secure: config.get('NODE_ENV', { infer: true }) === 'production',
    };
  }

  /** Sets the cookie to the pair's refresh token and hands the pair on. */
  set(reply: FastifyReply, pair: TokenPair): TokenPair {
    reply.header('set-cookie', stringifySetCookie({ ...this.attributes, value: pair.refreshToken, maxAge: pair.refreshExpiresIn }));
    return pair;
  }

  clear(reply: FastifyReply): void {
    reply.header('set-cookie', stringifySetCookie({ ...this.attributes, value: '', expires: new Date(0), maxAge: 0 }));
  }
}
