import { Secret, TOTP } from 'otpauth';

/**
 * RFC 6238 as every authenticator app reads an `otpauth://` URI by default: HMAC-SHA-1, 6 digits,
 * 30-second steps. A code is accepted one step early or late (RFC 6238 §5.2: clock drift and the
 * time it takes to type it).
 */
export const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
const WINDOW = 1;
/** RFC 4226 §4: a shared secret of at least 128 bits, 160 recommended. */
const SECRET_BYTES = 20;

export const TOTP_CODE_PATTERN = /^\d{6}$/;

/** A new secret from the CSPRNG, base32 (RFC 4648) as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

const totpFor = (base32Secret: string, label = '', issuer = '') =>
  new TOTP({ ...TOTP_PARAMS, issuer, label, secret: Secret.fromBase32(base32Secret) });

/** The enrolment URI (Key Uri Format) a QR code carries: `otpauth://totp/Issuer:label?secret=…`. */
export function otpauthUri(base32Secret: string, label: string, issuer: string): string {
  return totpFor(base32Secret, label, issuer).toString();
}

/**
 * The time step (RFC 6238 T) whose code `code` is, within one step of `now`, or null. The step is
 * what makes a code single-use: the caller accepts it only if it is later than the last accepted one.
 */
export function matchingStep(base32Secret: string, code: string, now = Date.now()): number | null {
  if (!TOTP_CODE_PATTERN.test(code)) return null;
  const delta = totpFor(base32Secret).validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? null : TOTP.counter({ period: TOTP_PARAMS.period, timestamp: now }) + delta;
}
