import { describe, expect, it } from '@jest/globals';
import { HOTP, Secret, TOTP } from 'otpauth';
import { matchingStep, newTotpSecret, otpauthUri } from './totp.js';

/** RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890". */
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;
/** RFC 6238 Appendix B, SHA-1 column: Unix time (s) → the 8-digit TOTP. */
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238, SHA-1, 6 digits, 30 s)', () => {
  it.each(RFC_VECTORS)('at %i s accepts the last 6 digits of the RFC vector %s, as step T = floor(t / 30)', (seconds, eight) => {
    // Dynamic truncation keeps `value mod 10^digits`: the 6-digit code is the vector's last six digits.
    expect(new TOTP({ secret: Secret.fromBase32(RFC_SECRET), digits: 8 }).generate({ timestamp: seconds * 1000 })).toBe(eight);
    expect(matchingStep(RFC_SECRET, eight.slice(2), seconds * 1000)).toBe(Math.floor(seconds / 30));
  });

  it('accepts the code of one step before and after, nothing further', () => {
    const secret = newTotpSecret();
    const now = 1_800_000_000_000;
    const step = Math.floor(now / 30_000);
    const codeAt = (s: number) => HOTP.generate({ secret: Secret.fromBase32(secret), counter: s, digits: 6 });
    expect(matchingStep(secret, codeAt(step), now)).toBe(step);
    expect(matchingStep(secret, codeAt(step - 1), now)).toBe(step - 1);
    expect(matchingStep(secret, codeAt(step + 1), now)).toBe(step + 1);
    for (const far of [step - 2, step + 2]) {
      const code = codeAt(far);
      // A far code that happens to equal a near one is that near one (1 in 10^6).
      if (![step - 1, step, step + 1].some((s) => codeAt(s) === code)) expect(matchingStep(secret, code, now)).toBeNull();
    }
  });

  it('refuses anything that is not six digits', () => {
    const secret = newTotpSecret();
    const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
    expect(matchingStep(secret, code)).not.toBeNull();
    for (const bad of [` ${code}`, `${code}0`, code.slice(1), '', 'abcdef']) expect(matchingStep(secret, bad)).toBeNull();
  });

  it('draws 160-bit base32 secrets and writes the Key Uri with SHA-1, 6 digits, 30 s', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const uri = new URL(otpauthUri(secret, 'ada@example.com', 'todo-api'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/todo-api:ada@example.com');
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: 'todo-api', secret, algorithm: 'SHA1', digits: '6', period: '30' });
  });
});
