/** API.md, Users: E.164 is `+`, a country code that never starts with 0, 8 to 15 digits in all. */
export const E164 = /^\+[1-9]\d{7,14}$/;

export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164.test(value);
}

/** For logs: enough to tell numbers apart, not enough to dial one (`+4477******00`). */
export function maskPhoneNumber(number: string): string {
  if (number.length <= 6) return '*'.repeat(number.length);
  return `${number.slice(0, 5)}${'*'.repeat(number.length - 7)}${number.slice(-2)}`;
}
