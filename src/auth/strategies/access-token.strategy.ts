import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import type { AuthUser } from '../decorators/current-user.decorator.js';
import { SessionStateCache } from '../sessions/session-state.cache.js';
import { TokenService } from '../tokens/token.service.js';

export const ACCESS_STRATEGY = 'access-token';

@Injectable()
export class AccessTokenStrategy extends PassportStrategy(Strategy, ACCESS_STRATEGY) {
  constructor(
    private readonly tokens: TokenService,
    private readonly sessions: SessionStateCache,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: tokens.keyProvider('access'),
      ...tokens.verifyOptions('access'),
    });
  }

  async validate(payload: unknown): Promise<AuthUser> {
    const claims = this.tokens.checkClaims(payload, 'access');
    if (!(await this.sessions.isActive(claims.sid, claims.sub))) throw new InvalidTokenException();
    return { userId: claims.sub, sessionId: claims.sid };
  }
}
