import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import { refreshCookieOf } from '../refresh-cookie.js';
import { type RefreshClaims, TokenService } from '../tokens/token.service.js';

export const REFRESH_STRATEGY = 'refresh-token';

/** The body's `refreshToken` first, then the HttpOnly cookie. */
function presented(request: FastifyRequest): string | undefined {
  const fromBody = (request.body as { refreshToken?: unknown } | undefined)?.refreshToken;
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
  return refreshCookieOf(request);
}

/** Verifies the token; spending it (rotation, grace, reuse, custom key) is AuthService.refresh's. */
@Injectable()
export class RefreshTokenStrategy extends PassportStrategy(Strategy, REFRESH_STRATEGY) {
  constructor(private readonly tokens: TokenService) {
    super();
  }

  async validate(request: FastifyRequest): Promise<RefreshClaims> {
    const token = presented(request);
    if (!token) throw new InvalidTokenException();
    return this.tokens.verify(token, 'refresh');
  }
}
