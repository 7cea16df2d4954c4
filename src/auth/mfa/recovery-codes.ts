import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
/** 16 characters of a 32-letter alphabet: 80 bits each, far beyond guessing or an offline search of their hashes. */
const CODE_LENGTH = 16;
/** Crockford's base32 alphabet, lower-case: no i, l, o or u to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Four groups of four (`7k3m-q9xa-2bcd-e4fg`), easier to copy from a printout. */
export const RECOVERY_CODE_PATTERN = /^[0-9a-z]{4}(-?[0-9a-z]{4}){3}$/;

/** 10 new codes from the CSPRNG (each byte maps to one of 32 letters: 256 is a multiple of 32, so no bias). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const letters = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte % 32]).join('');
    return letters.match(/.{4}/g)!.join('-');
  });
}

/** Case, spaces and dashes do not matter when a code is typed back. */
export function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/**
 * What the database keeps of a code: SHA-256 over the user id and the normalised code. 80 random
 * bits need no slow hash; the user id keeps one user's hashes from matching another's.
 */
export function hashRecoveryCode(userId: string, code: string): string {
  return createHash('sha256')
    .update(`${userId}:${normaliseRecoveryCode(code)}`, 'utf8')
    .digest('hex');
}
