import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Environment } from '../../config/environment.js';
import { type AccessClaims, type Amr, type RefreshClaims, TOKEN_MAKER, type TokenMaker, type TokenPurpose } from './token-maker.js';

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

/** Issues pairs in the configured format (verification is the strategies', strategies/). */
@Injectable()
export class TokenService {
  private readonly accessTtl: number;
  private readonly refreshTtl: number;

  constructor(
    @Inject(TOKEN_MAKER) private readonly maker: TokenMaker,
    config: ConfigService<Environment, true>,
  ) {
    this.accessTtl = config.get('JWT_ACCESS_TTL', { infer: true });
    this.refreshTtl = config.get('JWT_REFRESH_TTL', { infer: true });
  }

  /**
   * A new pair for session `sessionId`; `refreshJti` must be the one stored as the session's live
   * token, and `amr` the session's.
   */
  async issuePair(userId: string, sessionId: string, refreshJti: string, tokenHash: string, amr: Amr): Promise<TokenPair> {
    const [accessToken, refreshToken] = await Promise.all([
      this.maker.create('access', { sub: userId, sid: sessionId, jti: randomUUID(), amr }),
      this.maker.create('refresh', { sub: userId, sid: sessionId, jti: refreshJti, amr, key: customKey(userId, tokenHash) }),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.accessTtl, refreshExpiresIn: this.refreshTtl };
  }
}
