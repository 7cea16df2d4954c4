import { describe, expect, it } from '@jest/globals';
import { parseWholeNumber } from './whole-number.js';

describe('parseWholeNumber', () => {
  it('reads plain digits, leading zeros included', () => {
    expect(parseWholeNumber('0')).toBe(0);
    expect(parseWholeNumber('042')).toBe(42);
    expect(parseWholeNumber('999999999999999')).toBe(999_999_999_999_999);
  });

  it.each(['', ' 2', '2 ', '1.5', '1e3', '0x10', '-1', '+1', '٣', '2\n'])('refuses %j', (text) => {
    expect(parseWholeNumber(text)).toBeUndefined();
  });

  it('refuses more digits than allowed', () => {
    expect(parseWholeNumber('1'.repeat(16))).toBeUndefined();
    expect(parseWholeNumber('128', 3)).toBe(128);
    expect(parseWholeNumber('1280', 3)).toBeUndefined();
  });
});
