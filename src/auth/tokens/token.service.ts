import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import type { Environment } from '../../config/environment.js';
import {
  type AccessClaims,
  type Amr,
  type RefreshClaims,
  TOKEN_MAKER,
  TOKEN_VERIFIERS,
  type TokenClaims,
  type TokenMaker,
  type TokenPurpose,
} from './token-maker.js';
import { VerifiedTokens } from './verified-tokens.js';

export type { AccessClaims, Amr, RefreshClaims, TokenPurpose };

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshExpiresIn: number;
}

/**
 * The refresh token's custom key: HMAC-SHA256 of the user id keyed by the user's current
 * `tokenHash`. A new `tokenHash` (password change) makes every earlier refresh token fail.
 */
export function customKey(userId: string, tokenHash: string): string {
  return createHmac('sha256', tokenHash).update(userId).digest('base64url');
}

export function customKeyMatches(presented: string, userId: string, tokenHash: string): boolean {
  const expected = Buffer.from(customKey(userId, tokenHash));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Issues pairs in the configured format; verifies a token in whichever format it is in. */
@Injectable()
export class TokenService {
  private readonly accessTtl: number;
  private readonly refreshTtl: number;
  private readonly verifiedAccess: VerifiedTokens;

  constructor(
    @Inject(TOKEN_MAKER) private readonly maker: TokenMaker,
    @Inject(TOKEN_VERIFIERS) private readonly verifiers: readonly TokenMaker[],
    config: ConfigService<Environment, true>,
  ) {
    this.accessTtl = config.get('JWT_ACCESS_TTL', { infer: true });
    this.refreshTtl = config.get('JWT_REFRESH_TTL', { infer: true });
    this.verifiedAccess = new VerifiedTokens(config.get('ACCESS_TOKEN_CACHE_SIZE', { infer: true }), (token) => this.verifyNow(token, 'access'));
  }

  /**
   * A new pair for session `sessionId`; `refreshJti` must be the one stored as the session's live
   * token, and `amr` the session's.
   */
  async issuePair(userId: string, sessionId: string, refreshJti: string, tokenHash: string, amr: Amr): Promise<TokenPair> {
    const [accessToken, refreshToken] = await Promise.all([
      this.maker.create('access', { sub: userId, sid: sessionId, jti: randomUUID(), amr }, this.accessTtl),
      this.maker.create('refresh', { sub: userId, sid: sessionId, jti: refreshJti, amr, key: customKey(userId, tokenHash) }, this.refreshTtl),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.accessTtl, refreshExpiresIn: this.refreshTtl };
  }

  /**
   * The one verification path (the passport strategies call it): the maker of the token's format
   * checks it completely. A format whose keys are absent is refused like any bad token. An access
   * token is checked once per instance and then remembered until it expires (VerifiedTokens).
   */
  verify<P extends TokenPurpose>(token: string, purpose: P): Promise<Readonly<TokenClaims<P>>> {
    if (purpose === 'access') return this.verifiedAccess.claims(token) as Promise<Readonly<TokenClaims<P>>>;
    return this.verifyNow(token, purpose);
  }

  private async verifyNow<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P>> {
    const maker = this.verifiers.find((m) => m.recognises(token));
    if (!maker) throw new InvalidTokenException();
    return maker.verify(token, purpose);
  }
}
