import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../../common/bearer.js';
import { canonicalBase64url } from '../../common/base64url.js';
import { refreshCookieOf } from '../refresh-cookie.js';

/** Ed25519 (PASETO v4.public): the signature is the last 64 bytes of the body. */
const ED25519_SIGNATURE_BYTES = 64;

/**
 * Where a token's text is read from a request, and the one spelling a token can have (API.md,
 * "Tokens have one spelling"): every segment canonical base64url and the signature of the length
 * its keys produce. Anything else is refused before a verifier sees it and never enters a cache,
 * so one token is one text.
 */
export class TokenText {
  constructor(
    /** Per purpose, the byte lengths of the RS256 signatures of its keys (2048-bit RSA: 256). */
    private readonly rsaSignatureLengths: Readonly<Record<'access' | 'refresh', ReadonlySet<number>>>,
  ) {}

  /** `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive), if canonical. */
  bearer(request: Pick<FastifyRequest, 'headers'>): string | undefined {
    const token = bearerToken(request.headers.authorization);
    return token === undefined ? undefined : this.canonical(token, 'access');
  }

  /** The body's `refreshToken` first, then the HttpOnly cookie, if canonical. */
  refresh(request: Pick<FastifyRequest, 'headers' | 'body'>): string | undefined {
    const fromBody = (request.body as { refreshToken?: unknown } | undefined)?.refreshToken;
    const token = typeof fromBody === 'string' && fromBody !== '' ? fromBody : refreshCookieOf(request);
    return token === undefined ? undefined : this.canonical(token, 'refresh');
  }

  /** `token` when it has the one spelling a JWT or a PASETO v4.public of `purpose` can have. */
  canonical(token: string, purpose: 'access' | 'refresh'): string | undefined {
    const parts = token.split('.');
    // v4.public.<payload ‖ signature>.<footer>: other versions and purposes are refused here already.
    if (parts[0] === 'v4' && parts[1] === 'public') {
      const body = parts.length === 4 ? canonicalBase64url(parts[2]) : undefined;
      return body && body.length > ED25519_SIGNATURE_BYTES && canonicalBase64url(parts[3]) ? token : undefined;
    }
    if (parts.length === 3) {
      const signature = canonicalBase64url(parts[2]);
      const canonical = canonicalBase64url(parts[0]) && canonicalBase64url(parts[1]) && signature;
      return canonical && this.rsaSignatureLengths[purpose].has(signature.length) ? token : undefined;
    }
    return undefined;
  }
}
