import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { hashLinkToken, LINK_TOKEN_PATTERN, newLinkToken } from './link-token.js';

describe('link tokens', () => {
  it('are 32 random bytes in base64url, stored as their SHA-256', () => {
    const { token, hash } = newLinkToken();
    expect(token).toMatch(LINK_TOKEN_PATTERN);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashLinkToken(token)).toBe(hash);
  });

  it('never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newLinkToken().token));
    expect(tokens.size).toBe(1000);
  });

  it.each(['', 'a'.repeat(42), 'a'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)}+`, `${'a'.repeat(42)}/`])(
    'refuse the shape %j',
    (candidate) => {
      expect(LINK_TOKEN_PATTERN.test(candidate)).toBe(false);
    },
  );
});
