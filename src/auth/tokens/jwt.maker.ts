import { JwtService } from '@nestjs/jwt';
import { type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import type { KeyRings } from './key-store.js';
import { checkClaims, type TokenClaims, type TokenContent, type TokenMaker, type TokenPurpose } from './token-maker.js';

const signAsync = promisify(sign) as (algorithm: string, data: Buffer, key: KeyObject) => Promise<Buffer>;
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface MakerOptions {
  issuer: string;
  audience: string;
  /** Upper bound on a token's age by its `iat`, per purpose (the configured lifetimes). */
  maxAge: Record<TokenPurpose, number>;
}

/** RS256 JWTs (RFC 7519), each purpose under its own RSA key pair, `kid` in the header. */
export class JwtMaker implements TokenMaker {
  readonly format = 'jwt' as const;
  private readonly jwt = new JwtService({});

  constructor(
    private readonly rings: KeyRings,
    private readonly options: MakerOptions,
  ) {}

  recognises(token: string): boolean {
    return token.split('.').length === 3 && !/^v\d+\./.test(token);
  }

  /**
   * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) over the compact JWS signing input.
   * crypto.sign with a callback runs on libuv's threadpool: the ~0.3 ms private-key operation
   * per token stays off the event loop, which jsonwebtoken's sign cannot do.
   */
  async create<P extends TokenPurpose>(purpose: P, content: TokenContent<P>, ttlSeconds: number): Promise<string> {
    const ring = this.rings[purpose];
    const iat = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: ring.kid };
    const payload = { ...content, typ: purpose, iss: this.options.issuer, aud: this.options.audience, iat, exp: iat + ttlSeconds };
    const input = `${base64url(header)}.${base64url(payload)}`;
    const signature = await signAsync('sha256', Buffer.from(input), ring.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  async verify<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P>> {
    // Only `kid` is read from the header before the signature is checked: `jku`, `jwk`, `x5u`
    // and `alg` are never trusted (RFC 8725 §3.1: the algorithm is ours, never the header's).
    const decoded = this.jwt.decode<{ header?: { kid?: unknown } } | null>(token, { complete: true });
    const kid = decoded?.header?.kid;
    const key = typeof kid === 'string' ? this.rings[purpose].verifying.get(kid) : undefined;
    if (!key) throw new InvalidTokenException();
    let payload: Record<string, unknown>;
    try {
      payload = this.jwt.verify(token, {
        publicKey: key as never,
        algorithms: ['RS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        // Bounds the lifetime by `iat` too; jsonwebtoken then refuses a token without `iat`.
        maxAge: this.options.maxAge[purpose],
      });
    } catch {
      throw new InvalidTokenException();
    }
    // jsonwebtoken checks `exp` only when it is there: a token without one would never expire.
    if (typeof payload.exp !== 'number' || typeof payload.iat !== 'number') throw new InvalidTokenException();
    return checkClaims(payload, purpose);
  }
}
