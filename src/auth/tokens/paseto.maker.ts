import type { KeyObject } from 'node:crypto';
import { type Claims, InspectFooter, PublicProtocol } from 'paseto';
import {
  ImportPublicKeyFactory,
  ImportSecretKeyFactory,
  type PublicKey,
  type SecretKey,
  SignFactory,
  VerifyFactory,
} from 'paseto/v4/public';
import { k4Public, type KeyPurpose } from './key-files.js';
import type { KeyRings } from './key-store.js';
import { checkClaims, type TokenClaims, type TokenContent, type TokenMaker, type TokenPurpose } from './token-maker.js';

const v4 = new PublicProtocol(SignFactory, VerifyFactory, ImportSecretKeyFactory, ImportPublicKeyFactory);
const HEADER = 'v4.public.';
/** No implicit assertion is used; passed explicitly so a token bound to one never verifies. */
const NO_IMPLICIT_ASSERTION = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface Signing {
  kid: string;
  key: SecretKey;
  /** The footer every token of this purpose carries, and the only one verification accepts. */
  footer: Uint8Array;
}

const footerFor = (kid: string) => encoder.encode(JSON.stringify({ kid }));

export interface PasetoOptions {
  issuer: string;
  audience: string;
  /** Seconds: each token's lifetime, and the bound on its age by `iat` whatever its `exp` says. */
  lifetimes: Readonly<Record<TokenPurpose, number>>;
}

/**
 * Builds the library's key from a KeyObject through PASERK k4.secret (seed ‖ public key): the
 * CryptoKey route derives the public half with SubtleCrypto.getPublicKey, which Node 24 flags as
 * experimental on every start. The library refuses a secret whose halves do not match.
 */
async function secretKey(privateKey: KeyObject): Promise<SecretKey> {
  const { d, x } = privateKey.export({ format: 'jwk' });
  const raw = Buffer.concat([Buffer.from(d!, 'base64url'), Buffer.from(x!, 'base64url')]);
  return v4.ImportSecretKey(`k4.secret.${raw.toString('base64url')}`);
}

/**
 * PASETO v4.public (Ed25519): no `alg` header to trust and no key type to confuse, by design.
 * Each purpose has its own key pair; the footer `{"kid":"k4.pid…"}` names the signing key.
 */
export class PasetoMaker implements TokenMaker {
  readonly format = 'paseto' as const;

  private constructor(
    private readonly signing: Record<KeyPurpose, Signing>,
    private readonly verifying: Record<KeyPurpose, ReadonlyMap<string, PublicKey>>,
    private readonly options: PasetoOptions,
  ) {}

  static async create(rings: KeyRings, options: PasetoOptions): Promise<PasetoMaker> {
    const signing = {} as Record<KeyPurpose, Signing>;
    const verifying = {} as Record<KeyPurpose, Map<string, PublicKey>>;
    for (const purpose of ['access', 'refresh'] as const) {
      const ring = rings[purpose];
      signing[purpose] = { kid: ring.kid, key: await secretKey(ring.privateKey), footer: footerFor(ring.kid) };
      verifying[purpose] = new Map();
      for (const [kid, key] of ring.verifying) {
        verifying[purpose].set(kid, await v4.ImportPublicKey(k4Public(key) as `k4.public.${string}`));
      }
    }
    return new PasetoMaker(signing, verifying, options);
  }

  async create<P extends TokenPurpose>(purpose: P, content: TokenContent<P>): Promise<string> {
    const { key, footer } = this.signing[purpose];
    const claims: Claims = { ...(content as Record<string, string>), typ: purpose, iss: this.options.issuer, aud: this.options.audience };
    // The library writes `iat` and `exp` as RFC 3339 strings.
    return v4.Sign(key, claims, { footer, expiresIn: this.options.lifetimes[purpose], implicitAssertion: NO_IMPLICIT_ASSERTION });
  }

  /** The claims of a valid token of `purpose`, else undefined (which check failed is not said). */
  async verify<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P> | undefined> {
    if (!token.startsWith(HEADER)) return undefined;
    // The footer is not authenticated until Verify succeeds: it only picks the key, and Verify
    // then requires exactly the footer that key's tokens are issued with.
    const kid = this.footerKid(token);
    const key = kid === undefined ? undefined : this.verifying[purpose].get(kid);
    if (!key) return undefined;
    let claims: unknown;
    try {
      ({ claims } = await v4.Verify(key, token, {
        footer: footerFor(kid!),
        issuer: this.options.issuer,
        audience: this.options.audience,
        // `exp` is required (allowNonExpiring stays false); `iat` too, through maxTokenAge.
        maxTokenAge: this.options.lifetimes[purpose],
        implicitAssertion: NO_IMPLICIT_ASSERTION,
      }));
    } catch {
      return undefined;
    }
    // Verify required both, as RFC 3339 strings.
    const { exp, iat } = claims as { exp: string; iat: string };
    return checkClaims(claims, purpose, Math.min(Date.parse(exp), Date.parse(iat) + this.options.lifetimes[purpose] * 1000));
  }

  private footerKid(token: string): string | undefined {
    try {
      const footer: unknown = JSON.parse(decoder.decode(InspectFooter(token)));
      const kid = (footer as { kid?: unknown } | null)?.kid;
      return typeof kid === 'string' ? kid : undefined;
    } catch {
      return undefined;
    }
  }
}
