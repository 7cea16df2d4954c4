import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
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
 * Creates and verifies tokens of one format. Verification is complete: signature under a known
 * key of the purpose, the format's own header rules, `iss`, `aud`, `exp`, `iat`, `typ` and the
 * shape of the ids; any failure is an InvalidTokenException that does not say which check failed.
 * Session state, the custom key and reuse are the callers' (they need the database).
 */
export interface TokenMaker {
  readonly format: TokenFormat;
  /** Whether `token` is shaped like this format. Nothing in it is trusted yet. */
  recognises(token: string): boolean;
  create<P extends TokenPurpose>(purpose: P, content: TokenContent<P>, ttlSeconds: number): Promise<string>;
  verify<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P>>;
}

/** The maker new tokens are issued with (TOKEN_FORMAT). */
export const TOKEN_MAKER = Symbol('TOKEN_MAKER');
/** Every maker whose keys are present: what verification accepts. */
export const TOKEN_VERIFIERS = Symbol('TOKEN_VERIFIERS');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AMR_VALUE = /^[a-z]{2,16}$/;

/** A few short lower-case method names; absent in tokens issued before `amr` existed: a password then. */
function amrOf(value: unknown): Amr | undefined {
  if (value === undefined) return ['pwd'];
  const valid = Array.isArray(value) && value.length > 0 && value.length <= 4 && value.every((m) => typeof m === 'string' && AMR_VALUE.test(m));
  return valid ? (value as string[]) : undefined;
}

/**
 * The claims this service requires after the signature and registered claims passed, the same
 * for every format: the right `typ`, ids that are UUIDs (anything else never reaches a query),
 * and the custom key on refresh tokens. `expiresAt` is the maker's reading of the token's lifetime
 * (see AccessClaims).
 */
export function checkClaims<P extends TokenPurpose>(payload: unknown, purpose: P, expiresAt: number): TokenClaims<P> {
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
    throw new InvalidTokenException();
  }
  const { sub, sid, jti, typ } = claims as unknown as RefreshClaims;
  return (purpose === 'refresh' ? { sub, sid, jti, typ, amr, expiresAt, key: claims.key } : { sub, sid, jti, typ, amr, expiresAt }) as TokenClaims<P>;
}
