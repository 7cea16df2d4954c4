import { describe, expect, it } from '@jest/globals';
import { checkPhoneNumber, E164_POSIX, isE164, maskPhoneNumber, smsCountries } from './phone-number.js';

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

  it('spells the rule for Postgres exactly as the users_phone_number_e164 migration does', () => {
    expect(E164_POSIX).toBe('^\\+[1-9][0-9]{7,14}$');
  });

  it('masks the middle of a number for the log', () => {
    expect(maskPhoneNumber('+14155550100')).toBe('+1415*****00');
    expect(maskPhoneNumber('+14155550100')).not.toContain('555');
  });
});

describe('numbers that may receive texts (libphonenumber, metadata max)', () => {
  it.each([
    ['a GB mobile', '+447400123456', 'GB'],
    ['a US number (fixed line or mobile)', '+14155550100', 'US'],
    ['a French mobile', '+33612345678', 'FR'],
  ])('accepts %s, with its country', (_, number, country) => {
    expect(checkPhoneNumber(number, undefined)).toEqual({ ok: true, e164: number, country });
  });

  it.each([
    ['international shared-cost, no numbering plan', '+882340000001', 'not a valid phone number'],
    ['premium-rate', '+448712345678', 'premium-rate'],
    ['shared-cost', '+33810123456', 'shared-cost'],
    ['toll-free', '+18005550100', 'toll-free'],
    ['VoIP', '+445612345678', 'voip'],
    ['personal-number', '+447012345678', 'personal-number'],
    ['UAN', '+443001234567', 'uan'],
    ['a GB mobile one digit too long', '+4474001234567', 'not a valid phone number'],
  ])('refuses %s, saying why', (_, number, reason) => {
    const check = checkPhoneNumber(number, undefined);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toContain(reason);
  });

  it('refuses a country outside SMS_COUNTRIES, naming the allowed ones', () => {
    const countries = smsCountries(' gb , fr');
    expect(countries).toEqual(new Set(['GB', 'FR']));
    expect(checkPhoneNumber('+33612345678', countries)).toMatchObject({ ok: true });
    const refused = checkPhoneNumber('+4915123456789', countries);
    expect(refused).toEqual({ ok: false, reason: expect.stringContaining('GB, FR') });
    expect(smsCountries(undefined)).toBeUndefined();
  });
});
