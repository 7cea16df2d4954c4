import { type KeyObject, sign, verify as verifySignature } from 'node:crypto';
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
  /**
   * Per purpose, the header segment this maker writes under each of its keys, and that key: every
   * token it issued carries one of these exact strings, so its header needs no decoding or parsing
   * (RS256 and the `kid`, as the parse would find them). Any other header takes the full path.
   */
  private readonly issuedHeaders: Record<TokenPurpose, ReadonlyMap<string, KeyObject>>;

  constructor(
    private readonly rings: KeyRings,
    private readonly options: MakerOptions,
  ) {
    const headers = (purpose: TokenPurpose) =>
      new Map([...rings[purpose].verifying].map(([kid, key]) => [base64url(jwtHeader(kid)), key]));
    this.issuedHeaders = { access: headers('access'), refresh: headers('refresh') };
  }

  /** Three segments (exactly two dots; counted, not split: this runs on every request) and not a PASETO. */
  recognises(token: string): boolean {
    const second = token.indexOf('.', token.indexOf('.') + 1);
    return second !== -1 && !token.includes('.', second + 1) && !/^v\d+\./.test(token);
  }

  /**
   * RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3) over the compact JWS signing input.
   * crypto.sign with a callback runs on libuv's threadpool: the ~0.3 ms private-key operation
   * per token stays off the event loop, which jsonwebtoken's sign cannot do.
   */
  async create<P extends TokenPurpose>(purpose: P, content: TokenContent<P>, ttlSeconds: number): Promise<string> {
    const ring = this.rings[purpose];
    const iat = Math.floor(Date.now() / 1000);
    const header = jwtHeader(ring.kid);
    const payload = { ...content, typ: purpose, iss: this.options.issuer, aud: this.options.audience, iat, exp: iat + ttlSeconds };
    const input = `${base64url(header)}.${base64url(payload)}`;
    const signature = await signAsync('sha256', Buffer.from(input), ring.privateKey);
    return `${input}.${signature.toString('base64url')}`;
  }

  /**
   * RFC 7515 compact serialisation, checked once in one pass: the header is one this maker writes
   * (or else parsed for `alg` and `kid` only), the signature is verified against the parsed
   * KeyObject the `kid` names, and only then is the payload read. `alg` must be RS256 (RFC 8725
   * §3.1: the algorithm is ours, never the header's); `jku`, `jwk`, `x5u` are never followed.
   * jsonwebtoken did the same with two parses and option merging per call, about 40 µs of every
   * authenticated request.
   */
  async verify<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P>> {
    const [header, payload, signature, extra] = token.split('.');
    if (extra !== undefined || !header || !payload || !signature) throw new InvalidTokenException();
    const key = this.issuedHeaders[purpose].get(header) ?? this.keyNamedBy(header, purpose);
    if (!key || !verifySignature('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) {
      throw new InvalidTokenException();
    }
    const claims = parseSegment(payload);
    if (!claims || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') throw new InvalidTokenException();
    const now = Math.floor(Date.now() / 1000);
    // Bounded by `iat` too: no token outlives the configured lifetime, whatever its `exp` says.
    const until = Math.min(claims.exp, claims.iat + this.options.maxAge[purpose]);
    if (
      claims.iss !== this.options.issuer ||
      !audienceIncludes(claims.aud, this.options.audience) ||
      now >= until ||
      (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now))
    ) {
      throw new InvalidTokenException();
    }
    return checkClaims(claims, purpose, until * 1000);
  }

  /** The verifying key a header names, for a header written by anything else: `alg` RS256 and a known `kid`. */
  private keyNamedBy(header: string, purpose: TokenPurpose): KeyObject | undefined {
    const head = parseSegment(header);
    if (head?.alg !== 'RS256' || typeof head.kid !== 'string') return undefined;
    return this.rings[purpose].verifying.get(head.kid);
  }
}

/** The JOSE header of every token this maker signs. */
const jwtHeader = (kid: string) => ({ alg: 'RS256', typ: 'JWT', kid });

/** A base64url JSON object, or undefined for anything else. */
function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 7519 §4.1.3: `aud` is one string or an array of them. */
function audienceIncludes(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
