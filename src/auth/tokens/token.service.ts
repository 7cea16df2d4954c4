import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { SecretOrKeyProvider } from 'passport-jwt';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import type { Environment } from '../../config/environment.js';
import { KeyStore } from './key-store.js';

export type TokenPurpose = 'access' | 'refresh';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshExpiresIn: number;
}

/** Claims both tokens carry besides the registered ones (`sub`, `jti`, `iat`, `exp`, `iss`, `aud`). */
export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  typ: 'access';
}
export interface RefreshClaims {
  sub: string;
  sid: string;
  jti: string;
  typ: 'refresh';
  key: string;
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

@Injectable()
export class TokenService {
  private readonly accessTtl: number;
  private readonly refreshTtl: number;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly jwt: JwtService,
    @Inject(KeyStore) private readonly keys: KeyStore,
    config: ConfigService<Environment, true>,
  ) {
    this.accessTtl = config.get('JWT_ACCESS_TTL', { infer: true });
    this.refreshTtl = config.get('JWT_REFRESH_TTL', { infer: true });
    this.issuer = config.get('JWT_ISSUER', { infer: true });
    this.audience = config.get('JWT_AUDIENCE', { infer: true });
  }

  /** A new pair for session `sessionId`; `refreshJti` must be the one stored as the session's live token. */
  issuePair(userId: string, sessionId: string, refreshJti: string, tokenHash: string): TokenPair {
    const common = { subject: userId, issuer: this.issuer, audience: this.audience, algorithm: 'RS256' as const };
    const accessToken = this.jwt.sign(
      { sid: sessionId, typ: 'access' },
      { ...common, privateKey: this.keys.access.privateKey, keyid: this.keys.access.kid, jwtid: randomUUID(), expiresIn: this.accessTtl },
    );
    const refreshToken = this.jwt.sign(
      { sid: sessionId, typ: 'refresh', key: customKey(userId, tokenHash) },
      { ...common, privateKey: this.keys.refresh.privateKey, keyid: this.keys.refresh.kid, jwtid: refreshJti, expiresIn: this.refreshTtl },
    );
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.accessTtl, refreshExpiresIn: this.refreshTtl };
  }

  /** Options shared by the passport-jwt strategies and `verify()`: RS256 only, `iss` and `aud` required. */
  verifyOptions(purpose: TokenPurpose) {
    return {
      // RFC 8725 §3.1: the algorithm is ours, never the header's.
      algorithms: ['RS256' as const],
      issuer: this.issuer,
      audience: this.audience,
      // Bounds the lifetime by `iat` too, so a token without `iat` or `exp` never passes.
      jsonWebTokenOptions: { maxAge: purpose === 'access' ? this.accessTtl : this.refreshTtl },
    };
  }

  /**
   * The verifying key named by the header's `kid` (current or retired). Only `kid` is read from
   * the header: `jku`, `jwk`, `x5u` and `alg` are never trusted.
   */
  keyFor(purpose: TokenPurpose, token: string) {
    const decoded = this.jwt.decode<{ header?: { kid?: unknown } } | null>(token, { complete: true });
    const kid = decoded?.header?.kid;
    return typeof kid === 'string' ? this.keys[purpose].verifying.get(kid) : undefined;
  }

  /**
   * passport-jwt's key lookup. It hands jsonwebtoken a parsed KeyObject (typed there as a
   * string): a PEM string would be re-parsed on every request, 3-4x slower.
   */
  keyProvider(purpose: TokenPurpose): SecretOrKeyProvider {
    return (_request, token, done) => {
      const key = typeof token === 'string' ? this.keyFor(purpose, token) : undefined;
      if (key) done(null, key as unknown as string);
      else done(new InvalidTokenException());
    };
  }

  /** Everything after the signature: the claims this service requires, with the right `typ`. */
  checkClaims(payload: unknown, purpose: 'access'): AccessClaims;
  checkClaims(payload: unknown, purpose: 'refresh'): RefreshClaims;
  checkClaims(payload: unknown, purpose: TokenPurpose): AccessClaims | RefreshClaims {
    const claims = (payload ?? {}) as Record<string, unknown>;
    const strings = ['sub', 'sid', 'jti', ...(purpose === 'refresh' ? ['key'] : [])];
    if (
      claims.typ !== purpose ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      strings.some((name) => typeof claims[name] !== 'string' || claims[name] === '')
    ) {
      throw new InvalidTokenException();
    }
    return claims as unknown as AccessClaims | RefreshClaims;
  }

  /** Full verification, as the strategies do it; throws InvalidTokenException on any failure. */
  verify(token: string, purpose: 'access'): AccessClaims;
  verify(token: string, purpose: 'refresh'): RefreshClaims;
  verify(token: string, purpose: TokenPurpose): AccessClaims | RefreshClaims {
    const key = this.keyFor(purpose, token);
    if (!key) throw new InvalidTokenException();
    const { jsonWebTokenOptions, ...options } = this.verifyOptions(purpose);
    let payload: unknown;
    try {
      payload = this.jwt.verify(token, { ...options, ...jsonWebTokenOptions, publicKey: key as never });
    } catch {
      throw new InvalidTokenException();
    }
    return purpose === 'access' ? this.checkClaims(payload, 'access') : this.checkClaims(payload, 'refresh');
  }
}
