import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AccessClaims } from './token-maker.js';

/**
 * Access tokens that passed verification, so that a token's signature is checked once per instance
 * rather than on every request that carries it: an RS256 verification is about half of the work of a
 * cheap authenticated request (~300k of ~680k instructions for `GET /users/me`), and a client sends
 * the same access token for up to its whole lifetime. (Envoy's JWT filter offers the same cache,
 * `jwt_cache_config`.)
 *
 * Nothing is weakened:
 * - Entries are keyed by the SHA-256 of the token's exact text, so any other text (one character
 *   changed, or another encoding of the same signature) is another key and is verified in full. The
 *   token itself is not kept, and a lookup compares digests, never the token.
 * - Everything a maker checks follows from those bytes and the verifying keys, which are fixed for
 *   the life of the process (KeyStore loads them at start-up; a retired key is retired by a
 *   restart), except time: every hit checks `expiresAt` again, to the millisecond.
 * - Only successes are kept, never a refusal, and never a refresh token (each is spent once and
 *   checked against the database anyway).
 * - Whether the session is still live is not cached here: the access strategy asks SessionStateCache
 *   on every request, as before.
 *
 * At most `size` entries (~0.5 KB each), the least recently used dropped first; 0 keeps none.
 */
export class VerifiedTokens {
  private readonly entries: LRUCache<string, Readonly<AccessClaims>> | undefined;

  /** `verify` checks a token in full (the maker's verification); it runs for every token not remembered. */
  constructor(
    size: number,
    private readonly verify: (token: string) => Promise<AccessClaims>,
  ) {
    this.entries = size > 0 ? new LRUCache({ max: size }) : undefined;
  }

  /** The claims of `token`: remembered while they last, else verified in full, and remembered when that succeeds. */
  async claims(token: string): Promise<Readonly<AccessClaims>> {
    if (!this.entries) return Object.freeze(await this.verify(token));
    const key = hash('sha256', token, 'base64url');
    const known = this.entries.get(key);
    if (known && Date.now() < known.expiresAt) return known;
    if (known) this.entries.delete(key);
    const claims = Object.freeze(await this.verify(token));
    this.entries.set(key, claims);
    return claims;
  }
}
