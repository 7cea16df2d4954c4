import { createHash, randomBytes } from 'node:crypto';

/** 256 bits from the CSPRNG: guessing one is hopeless, so a fast hash is enough to store it. */
const LINK_TOKEN_BYTES = 32;

/** 32 bytes in base64url without padding: exactly 43 characters. */
export const LINK_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What the database keeps of a link token: its SHA-256, hex. */
export function hashLinkToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new link token and the hash to store for it. */
export function newLinkToken(): { token: string; hash: string } {
  const token = randomBytes(LINK_TOKEN_BYTES).toString('base64url');
  return { token, hash: hashLinkToken(token) };
}
