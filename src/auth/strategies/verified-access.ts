import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InvalidTokenException } from '../invalid-token.exception.js';
import type { Environment } from '../../config/environment.js';
import type { AuthUser } from '../decorators/current-user.decorator.js';
import { SessionStateCache } from '../sessions/session-state.cache.js';
import type { AccessClaims } from '../tokens/token-maker.js';
import { VerifiedTokens } from '../tokens/verified-tokens.js';

/**
 * What an accepted access token grants: the user of a session that is still live. Both access
 * strategies end here, and so does the guard when the token was accepted before (VerifiedTokens),
 * so a revoked session is refused on every request whichever way the token was checked.
 */
@Injectable()
export class VerifiedAccess {
  private readonly verified: VerifiedTokens;

  constructor(
    private readonly sessions: SessionStateCache,
    config: ConfigService<Environment, true>,
  ) {
    this.verified = new VerifiedTokens(config.get('ACCESS_TOKEN_CACHE_SIZE', { infer: true }));
  }

  /** The claims a strategy accepted `token` with, if it did and they still last. */
  remembered(token: string): Readonly<AccessClaims> | undefined {
    return this.verified.get(token);
  }

  /** A strategy accepted `token`: remember its claims, then check the session. */
  accepted(token: string, claims: AccessClaims): Promise<AuthUser> {
    return this.user(this.verified.remember(token, claims));
  }

  async user(claims: Readonly<AccessClaims>): Promise<AuthUser> {
    if (!(await this.sessions.isActive(claims.sid, claims.sub))) throw new InvalidTokenException();
    return { userId: claims.sub, sessionId: claims.sid };
  }
}
