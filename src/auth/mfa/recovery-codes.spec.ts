import { describe, expect, it } from '@jest/globals';
import { hashRecoveryCode, newRecoveryCodes, RECOVERY_CODE_COUNT } from './recovery-codes.js';

const USER = '11111111-1111-4111-8111-111111111111';

describe('recovery codes', () => {
  it('draws 10 distinct codes of 16 base32 letters (80 bits) in groups of four', () => {
    const codes = newRecoveryCodes();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    expect(16 * Math.log2(32)).toBeGreaterThanOrEqual(50);
  });

  it('hashes a code the same however it is typed back, and differently for another user', () => {
    const [code] = newRecoveryCodes();
    const hash = hashRecoveryCode(USER, code);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode(USER, code.toUpperCase().replace(/-/g, ' '))).toBe(hash);
    expect(hashRecoveryCode(USER, code.replace(/-/g, ''))).toBe(hash);
    expect(hashRecoveryCode('22222222-2222-4222-8222-222222222222', code)).not.toBe(hash);
  });
});
