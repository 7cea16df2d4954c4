import type { KeyPurpose, TokenFormat } from './key-files.js';

export type { TokenFormat };
export type TokenPurpose = KeyPurpose;

/**
 * RFC 8176 authentication method references: how the session was signed in (`pwd`, `otp`,
 * `webauthn`...). The session's, carried by both of its tokens.
 */
export type Amr = readonly string[];

/** Claims both tokens carry besides the registered ones (`iat`, `exp`, `iss`, `aud`). */
export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  typ: 'access';
  amr: Amr;
  /**
   * Not a claim: when this service stops accepting the token, in milliseconds since the epoch
   * (its `exp`, or its `iat` plus the configured lifetime when that is sooner), whatever the format
   * writes them as.
   */
  expiresAt: number;
}
export interface RefreshClaims extends Omit<AccessClaims, 'typ'> {
  typ: 'refresh';
  /** The custom key (see customKey). */
  key: string;
}
export type TokenClaims<P extends TokenPurpose> = P extends 'access' ? AccessClaims : RefreshClaims;
/** What a maker signs: everything but `typ`, which is the purpose, and `expiresAt`, which follows from the lifetime. */
export type TokenContent<P extends TokenPurpose> = Omit<TokenClaims<P>, 'typ' | 'expiresAt'>;

/**
 * Issues tokens of one format (TOKEN_FORMAT), each purpose under its own key and lifetime.
 * Verification is the passport strategies' (strategies/): passport-jwt for JWTs, the paseto
 * library for PASETO, then checkClaims for what both formats carry.
 */
export interface TokenMaker {
  readonly format: TokenFormat;
  create<P extends TokenPurpose>(purpose: P, content: TokenContent<P>): Promise<string>;
}

/** The maker new tokens are issued with (TOKEN_FORMAT). */
export const TOKEN_MAKER = Symbol('TOKEN_MAKER');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AMR_VALUE = /^[a-z]{2,16}$/;

/** A few short lower-case method names; absent in tokens issued before `amr` existed: a password then. */
function amrOf(value: unknown): Amr | undefined {
  if (value === undefined) return ['pwd'];
  const valid =
    Array.isArray(value) && value.length > 0 && value.length <= 4 && value.every((m) => typeof m === 'string' && AMR_VALUE.test(m));
  return valid ? (value as string[]) : undefined;
}

/**
 * The claims this service requires after the signature and registered claims passed, the same
 * for every format: the right `typ`, ids that are UUIDs (anything else never reaches a query),
 * and the custom key on refresh tokens. `expiresAt` is the format's reading of the token's lifetime
 * (see AccessClaims). Undefined when any of them is missing or wrong.
 */
export function checkClaims<P extends TokenPurpose>(payload: unknown, purpose: P, expiresAt: number): TokenClaims<P> | undefined {
  const claims = (payload ?? {}) as Record<string, unknown>;
  const amr = amrOf(claims.amr);
  if (
    !amr ||
    // Never a lifetime that is not a finite number: Infinity (a JSON `1e400`) would never end.
    !Number.isFinite(expiresAt) ||
    claims.typ !== purpose ||
    [claims.sub, claims.sid, claims.jti].some((id) => typeof id !== 'string' || !UUID.test(id)) ||
    (purpose === 'refresh' && (typeof claims.key !== 'string' || claims.key === ''))
  ) {
    return undefined;
  }
  const { sub, sid, jti, typ } = claims as unknown as RefreshClaims;
  return (
    purpose === 'refresh' ? { sub, sid, jti, typ, amr, expiresAt, key: claims.key } : { sub, sid, jti, typ, amr, expiresAt }
  ) as TokenClaims<P>;
}
