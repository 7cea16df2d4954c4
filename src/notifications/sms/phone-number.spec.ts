import { describe, expect, it } from '@jest/globals';
import { isE164, maskPhoneNumber } from './phone-number.js';

describe('E.164 phone numbers', () => {
  it.each(['+14155550100', '+447700900000', '+33612345678', '+12345678', '+123456789012345'])('accepts %s', (number) => {
    expect(isE164(number)).toBe(true);
  });

  it.each([
    ['no plus', '14155550100'],
    ['too short', '+1234567'],
    ['too long', '+1234567890123456'],
    ['country code 0', '+04155550100'],
    ['spaces', '+1 415 555 0100'],
    ['dashes', '+1-415-555-0100'],
    ['letters', '+1415555O100'],
    ['a trailing newline', '+14155550100\n'],
    ['full-width digits', '+１４１５５５５０１００'],
    ['a number', 14155550100],
    ['empty', ''],
  ])('refuses %s', (_, value) => {
    expect(isE164(value)).toBe(false);
  });

  it('masks the middle of a number for the log', () => {
    expect(maskPhoneNumber('+14155550100')).toBe('+1415*****00');
    expect(maskPhoneNumber('+14155550100')).not.toContain('555');
  });
});
