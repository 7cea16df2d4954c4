import { statement } from '../../database/sql.js';
import type { UserProfileDto } from '../dto/user-profile.dto.js';
import { PROFILE } from '../users.sql.js';

/** Every statement on the `phone_codes` table: one live code per user, bound to the number it was texted to. */
export const PHONE_CODES = {
  /** A new code replaces the user's earlier one (API.md: the earlier one stops working). */
  issue: statement<never, [userId: string, phoneNumber: string, codeHash: string, ttlSeconds: number, tries: number]>(
    'phone_codes_issue',
    `INSERT INTO phone_codes (user_id, phone_number, code_hash, expires_at, tries_left)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)
     ON CONFLICT (user_id) DO UPDATE SET phone_number = EXCLUDED.phone_number, code_hash = EXCLUDED.code_hash,
       expires_at = EXCLUDED.expires_at, tries_left = EXCLUDED.tries_left`,
  ),
  /**
   * Spends one try of the live code for the user's current number, in one conditional UPDATE:
   * concurrent guesses spend one try each, never more guesses than tries. No row: no live code.
   */
  spendTry: statement<{ phoneNumber: string; codeHash: string; triesLeft: number }, [userId: string]>(
    'phone_codes_spend_try',
    `UPDATE phone_codes c SET tries_left = c.tries_left - 1
       FROM users u
      WHERE c.user_id = $1 AND u.id = c.user_id AND u.phone_number = c.phone_number
        AND c.tries_left > 0 AND c.expires_at > now()
      RETURNING c.phone_number AS "phoneNumber", c.code_hash AS "codeHash", c.tries_left AS "triesLeft"`,
  ),
  /** The code matched: it is spent (single use) and the number it was sent to is proved, if it is still the user's. */
  prove: statement<UserProfileDto, [userId: string, phoneNumber: string, codeHash: string]>(
    'phone_codes_prove',
    `WITH spent AS (DELETE FROM phone_codes WHERE user_id = $1 AND phone_number = $2 AND code_hash = $3 RETURNING user_id)
     UPDATE users SET phone_verified_at = now(), updated_at = now()
      WHERE id IN (SELECT user_id FROM spent) AND phone_number = $2 RETURNING ${PROFILE}`,
  ),
};
