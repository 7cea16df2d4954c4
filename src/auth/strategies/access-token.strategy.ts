import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import type { AuthUser } from '../decorators/current-user.decorator.js';
import { SessionStateCache } from '../sessions/session-state.cache.js';
import { TokenService } from '../tokens/token.service.js';

export const ACCESS_STRATEGY = 'access-token';

/** `Authorization: Bearer <token>` (RFC 6750 §2.1); the scheme is case-insensitive. */
function bearer(request: FastifyRequest): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** Thin on purpose: the token is checked by TokenService.verify, the one path the tests attack. */
@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_STRATEGY) {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionStateCache,
  ) {
    super();
  }

  async validate(request: FastifyRequest): Promise<AuthUser> {
    const token = bearer(request);
    if (!token) throw new InvalidTokenException();
    const claims = await this.tokens.verify(token, 'access');
    if (!(await this.sessions.isActive(claims.sid, claims.sub))) throw new InvalidTokenException();
    return { userId: claims.sub, sessionId: claims.sid };
  }
}
