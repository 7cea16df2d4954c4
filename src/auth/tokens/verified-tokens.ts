import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccessClaims } from './token-maker.js';

/**
 * Access tokens that a strategy accepted, so that a token's signature is checked once per
 * instance rather than on every request that carries it (a client sends the same access token for
 * up to its whole lifetime; Envoy's JWT filter has the same cache, `jwt_cache_config`).
 *
 * Nothing is weakened:
 * - Only what a strategy accepted is kept (the guard asks first and the strategies remember), never
 *   a refusal, and never a refresh token (each is spent once and checked against the database).
 * - Keyed by the SHA-256 of the token's text, which is canonical when remembered (TokenText): one
 *   token has one text, so a client cannot make many entries of one token, and each entry cost a
 *   login or a refresh. A lookup may come with any text (the guard asks before checking the
 *   spelling): another spelling has another key and misses. The token itself is not kept.
 * - The keys are fixed for the life of the process; time is not: every hit checks `expiresAt`.
 * - Whether the session is still live is not cached here: SessionStateCache answers on every request.
 *
 * At most `size` entries (ACCESS_TOKEN_CACHE_SIZE, ~0.4 KB each), least recently used dropped first;
 * 0 keeps none.
 */
export class VerifiedTokens {
  private readonly entries: LRUCache<string, Readonly<AccessClaims>> | undefined;

  constructor(size: number) {
    this.entries = size > 0 ? new LRUCache({ max: size }) : undefined;
  }

  /** The claims remembered for `token`, while they last. */
  get(token: string): Readonly<AccessClaims> | undefined {
    if (!this.entries) return undefined;
    const key = hash('sha256', token, 'base64url');
    const known = this.entries.get(key);
    if (known && Date.now() < known.expiresAt) return known;
    if (known) this.entries.delete(key);
    return undefined;
  }

  /** Remembers the claims a strategy accepted `token` with; they are frozen and returned. */
  remember(token: string, claims: AccessClaims): Readonly<AccessClaims> {
    const frozen = Object.freeze(claims);
    this.entries?.set(hash('sha256', token, 'base64url'), frozen);
    return frozen;
  }
}
