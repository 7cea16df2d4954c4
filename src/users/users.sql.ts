import { isoUtc, statement } from '../database/sql.js';
import type { SignupResponseDto, UserProfileDto } from './dto/user-profile.dto.js';

// Rows come back in the response's shape, timestamps already ISO-8601 UTC.
const PROFILE = `id, email, name, email_verified_at IS NOT NULL AS "emailVerified",
  phone_number AS "phoneNumber", sms_notifications AS "smsNotifications",
  EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = users.id AND t.enabled_at IS NOT NULL) AS "mfaEnabled",
  ${isoUtc('created_at')} AS "createdAt", ${isoUtc('updated_at')} AS "updatedAt"`;

/** The new phone number: $5 when the request gives one ($4), else the stored one. */
const NEW_PHONE = 'CASE WHEN $4::boolean THEN $5::varchar ELSE phone_number END';

export interface UserCredentialsRow {
  id: string;
  passwordHash: string;
  tokenHash: string;
}

/**
 * Every statement on the `users` table: the profile (UsersService) and the credentials
 * (auth's AuthService, the one place that decides anything about them).
 */
export const USERS = {
  profile: statement<UserProfileDto, [id: string]>('user_profile', `SELECT ${PROFILE} FROM users WHERE id = $1`),
  /**
   * PATCH /users/me in one statement, so the rule holds whatever runs at once: removing the number
   * turns text messages off, unless the same request asks to keep them on, which (like opting in
   * without a number) the users_sms_needs_phone check refuses. `set*` says whether the field was given.
   */
  updateProfile: statement<
    UserProfileDto,
    [id: string, setName: boolean, name: string | null, setPhone: boolean, phoneNumber: string | null, smsNotifications: boolean | null]
  >(
    'user_update_profile',
    `UPDATE users SET
        name = CASE WHEN $2::boolean THEN $3::varchar ELSE name END,
        phone_number = ${NEW_PHONE},
        sms_notifications = CASE WHEN ${NEW_PHONE} IS NULL AND $6::boolean IS NOT TRUE THEN false
                                 ELSE COALESCE($6::boolean, sms_notifications) END,
        updated_at = now()
      WHERE id = $1 RETURNING ${PROFILE}`,
  ),

  /** The unique index on the normalised email decides races: exactly one concurrent insert wins. */
  insert: statement<SignupResponseDto, [email: string, name: string | null, passwordHash: string, tokenHash: string]>(
    'user_insert',
    `INSERT INTO users (email, name, password_hash, token_hash) VALUES ($1, $2, $3, $4)
      RETURNING id, email, name, ${isoUtc('created_at')} AS "createdAt"`,
  ),
  credentialsByEmail: statement<UserCredentialsRow, [email: string]>(
    'user_credentials',
    'SELECT id, password_hash AS "passwordHash", token_hash AS "tokenHash" FROM users WHERE email = $1',
  ),
  passwordHash: statement<{ passwordHash: string }, [id: string]>(
    'user_password_hash',
    'SELECT password_hash AS "passwordHash" FROM users WHERE id = $1',
  ),
  /**
   * Applies only while the password is still `currentHash`, the one just checked; a reset, which
   * checked a link instead, passes null.
   */
  replacePassword: statement<{ id: string }, [id: string, passwordHash: string, tokenHash: string, currentHash: string | null]>(
    'user_replace_password',
    `UPDATE users SET password_hash = $2, token_hash = $3, updated_at = now()
      WHERE id = $1 AND ($4::varchar IS NULL OR password_hash = $4) RETURNING id`,
  ),
  /** The address is verified (a verification link was spent); the first time counts. */
  markEmailVerified: statement<UserProfileDto, [id: string]>(
    'user_mark_email_verified',
    `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()),
            updated_at = CASE WHEN email_verified_at IS NULL THEN now() ELSE updated_at END
      WHERE id = $1 RETURNING ${PROFILE}`,
  ),
  /** Sessions and todos go with the user (ON DELETE CASCADE). */
  delete: statement<never, [id: string]>('user_delete', 'DELETE FROM users WHERE id = $1'),
};
