import { randomInt } from 'node:crypto';
import type pg from 'pg';

/** A GB mobile number (libphonenumber: MOBILE) no other test uses, in E.164. */
export const newMobileNumber = (): string => `+447400${String(randomInt(0, 1_000_000)).padStart(6, '0')}`;

/**
 * Marks a user's email as proved, and optionally sets a proved phone number (with text messages
 * on or off), straight in the database: for tests whose subject is what happens afterwards, not
 * the proving (test/abuse-sms.e2e-spec.ts proves both through HTTP).
 */
export async function proveInDatabase(
  db: pg.Client,
  userId: string,
  phone?: { number: string; smsNotifications: boolean; verified?: boolean },
): Promise<void> {
  await db.query('UPDATE users SET email_verified_at = now() WHERE id = $1', [userId]);
  if (phone) {
    await db.query(
      `UPDATE users SET phone_number = $2, phone_verified_at = CASE WHEN $4 THEN now() END, sms_notifications = $3 WHERE id = $1`,
      [userId, phone.number, phone.smsNotifications, phone.verified ?? true],
    );
  }
}
