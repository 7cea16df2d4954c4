import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { SecretOrKeyProvider } from 'passport-jwt';
import { createHmac, type KeyObject, randomUUID, sign, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import type { Environment } from '../../config/environment.js';
import type { KeyRing } from './key-files.js';
import { KeyStore } from './key-store.js';

const signAsync = promisify(sign) as (algorithm: string, data: Buffer, key: KeyObject) => Promise<Buffer>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

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
  async issuePair(userId: string, sessionId: string, refreshJti: string, tokenHash: string): Promise<TokenPair> {
    const [accessToken, refreshToken] = await Promise.all([
      this.sign(this.keys.access, this.accessTtl, { sub: userId, sid: sessionId, jti: randomUUID(), typ: 'access' }),
      this.sign(this.keys.refresh, this.refreshTtl, {
        sub: userId,
        sid: sessionId,
        jti: refreshJti,
        typ: 'refresh',
        key: customKey(userId, tokenHash),
      }),
    ]);
    return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: this.accessTtl, refreshExpiresIn: this.refreshTtl };
  }

  /**
   * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) over the compact JWS signing input.
   * crypto.sign with a callback runs on libuv's threadpool: the ~0.3 ms private-key operation
   * per token stays off the event loop, which jsonwebtoken's sign cannot do.
   */
  private async sign(ring: KeyRing, ttl: number, claims: Omit<AccessClaims, 'typ'> & { typ: TokenPurpose; key?: string }): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: ring.kid };
    const payload = { ...claims, iss: this.issuer, aud: this.audience, iat, exp: iat + ttl };
    const input = `${base64url(header)}.${base64url(payload)}`;
    const signature = await signAsync('sha256', Buffer.from(input), ring.privateKey);
    return `${input}.${signature.toString('base64url')}`;
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
    if (
      claims.typ !== purpose ||
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      // Ids this service issued are UUIDs; anything else never reaches a query.
      [claims.sub, claims.sid, claims.jti].some((id) => typeof id !== 'string' || !UUID.test(id)) ||
      (purpose === 'refresh' && (typeof claims.key !== 'string' || claims.key === ''))
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
