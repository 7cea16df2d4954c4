import { type NumberType, parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** API.md, Users: E.164 is `+`, a country code that never starts with 0, 8 to 15 digits in all. */
export const E164 = /^\+[1-9]\d{7,14}$/;
/** The same rule as Postgres checks it on users.phone_number (POSIX classes, no `\d`). */
export const E164_POSIX = E164.source.replaceAll('\\d', '[0-9]');

export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/** For logs: enough to tell numbers apart, not enough to dial one (`+4477******00`). */
export function maskPhoneNumber(number: string): string {
  if (number.length <= 6) return '*'.repeat(number.length);
  return `${number.slice(0, 5)}${'*'.repeat(number.length - 7)}${number.slice(-2)}`;
}

/**
 * Number types a person texts with (libphonenumber's classification, metadata `max`). Everything
 * else costs the operator or a third party money or reaches no one in particular: premium-rate,
 * shared-cost, toll-free, UAN, VoIP, personal-number, pager and voicemail numbers are refused.
 */
const PERSONAL_TYPES = new Set<NumberType>(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

/** A number accepted for texts, in E.164, with its country; or why it is refused. */
export type PhoneNumberCheck = { ok: true; e164: string; country: string } | { ok: false; reason: string };

/**
 * Whether `raw` (E.164) may receive texts (API.md, Abuse limits): a valid number of a personal type,
 * in one of `countries` (ISO 3166 codes; undefined: any country).
 */
export function checkPhoneNumber(raw: string, countries: ReadonlySet<string> | undefined): PhoneNumberCheck {
  const parsed = parsePhoneNumberFromString(raw);
  if (!parsed?.isValid() || !parsed.country) {
    return { ok: false, reason: 'phoneNumber is not a valid phone number in any numbering plan' };
  }
  const type = parsed.getType();
  if (!type || !PERSONAL_TYPES.has(type)) {
    const kind = type ? type.toLowerCase().replaceAll('_', '-') : 'unknown';
    return { ok: false, reason: `phoneNumber must be a mobile number that receives texts; this one is of type ${kind}` };
  }
  if (countries && !countries.has(parsed.country)) {
    return {
      ok: false,
      reason: `phoneNumber must be in one of the countries texts are sent to (${[...countries].join(', ')}); this one is in ${parsed.country}`,
    };
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}

/** SMS_COUNTRIES as a set of upper-case codes, or undefined for every country. */
export function smsCountries(raw: string | undefined): ReadonlySet<string> | undefined {
  if (!raw) return undefined;
  return new Set(raw.split(',').map((code) => code.trim().toUpperCase()));
}
