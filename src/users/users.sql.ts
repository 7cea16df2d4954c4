import { isoUtc, isoUtcText, statement } from '../database/sql.js';
import type { SignupResponseDto, UserProfileDto } from './dto/user-profile.dto.js';

/** The profile's fields in the response's order, each timestamp written as `timestamp` has it. */
const profileFields = (timestamp: (column: string) => string) => `id, email, name, email_verified_at IS NOT NULL AS "emailVerified",
  phone_number AS "phoneNumber", phone_verified_at IS NOT NULL AS "phoneVerified", sms_notifications AS "smsNotifications",
  CASE WHEN sms_suppressed_until > now() THEN ${timestamp('sms_suppressed_until')} END AS "smsSuppressedUntil",
  mfa_enabled AS "mfaEnabled",
  ${timestamp('created_at')} AS "createdAt", ${timestamp('updated_at')} AS "updatedAt"`;

// Rows come back in the response's shape, timestamps already ISO-8601 UTC.
export const PROFILE = profileFields(isoUtc);

/** The new phone number: $5 when the request changes it ($4), else the stored one. */
const NEW_PHONE = 'CASE WHEN $4::boolean THEN $5::varchar ELSE phone_number END';

/** What PATCH /users/me and the phone routes decide on, read under the row's lock. */
export interface PhoneStateRow {
  email: string;
  emailVerified: boolean;
  phoneNumber: string | null;
  phoneVerified: boolean;
}

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
   * The same profile as its JSON document, for GET /users/me to send as it is. One column instead
   * of eleven: pg reads every execution's row description and builds an empty row from it, ~2k
   * instructions a column, and the row then needs no parsing, slicing or serialising (344k → 278k
   * instructions a request on the main thread, docs/PERFORMANCE.md), for no Postgres CPU that could
   * be measured.
   */
  profileJson: statement<{ json: string }, [id: string]>(
    'user_profile_json',
    `SELECT row_to_json(profile)::text AS json FROM (SELECT ${profileFields(isoUtcText)} FROM users WHERE id = $1) profile`,
  ),
  /** The number a new todo's text would go to, if the user gets texts (todos.sql.ts decides who does). */
  textedNumber: statement<{ phoneNumber: string }, [id: string]>(
    'user_texted_number',
    `SELECT phone_number AS "phoneNumber" FROM users
      WHERE id = $1 AND sms_notifications AND phone_verified_at IS NOT NULL AND email_verified_at IS NOT NULL`,
  ),
  /** The phone settings, unlocked: for a decision whose write re-checks them (PhoneVerification). */
  phoneState: statement<PhoneStateRow, [id: string]>(
    'user_phone_state',
    `SELECT email, email_verified_at IS NOT NULL AS "emailVerified", phone_number AS "phoneNumber",
            phone_verified_at IS NOT NULL AS "phoneVerified"
       FROM users WHERE id = $1`,
  ),
  /** Locks the user's row for a decision about the phone settings (UsersService). */
  phoneStateForUpdate: statement<PhoneStateRow, [id: string]>(
    'user_phone_state_for_update',
    `SELECT email, email_verified_at IS NOT NULL AS "emailVerified", phone_number AS "phoneNumber",
            phone_verified_at IS NOT NULL AS "phoneVerified"
       FROM users WHERE id = $1 FOR UPDATE`,
  ),
  /**
   * PATCH /users/me: a changed number ($4) is unproved and turns text messages off; removing it
   * turns them off unless the same request asks to keep them on, which (like opting in without a
   * proved number) the users_sms_needs_* checks refuse. `set*` says whether the field was given.
   */
  updateProfile: statement<
    UserProfileDto,
    [id: string, setName: boolean, name: string | null, setPhone: boolean, phoneNumber: string | null, smsNotifications: boolean | null]
  >(
    'user_update_profile',
    `UPDATE users SET
        name = CASE WHEN $2::boolean THEN $3::varchar ELSE name END,
        phone_number = ${NEW_PHONE},
        phone_verified_at = CASE WHEN $4::boolean THEN NULL ELSE phone_verified_at END,
        sms_notifications = CASE WHEN ($4::boolean OR ${NEW_PHONE} IS NULL) AND $6::boolean IS NOT TRUE THEN false
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
  /**
   * A spent reset link proves the address. The first proof also drops the phone settings (API.md,
   * Abuse limits: pre-registered accounts are not a foothold); the SET expressions see the old row.
   */
  proveEmailByReset: statement<{ email: string }, [id: string]>(
    'user_prove_email_by_reset',
    `UPDATE users SET email_verified_at = coalesce(email_verified_at, now()),
            phone_number = CASE WHEN email_verified_at IS NULL THEN NULL ELSE phone_number END,
            phone_verified_at = CASE WHEN email_verified_at IS NULL THEN NULL ELSE phone_verified_at END,
            sms_notifications = sms_notifications AND email_verified_at IS NOT NULL,
            updated_at = now()
      WHERE id = $1 RETURNING email`,
  ),
  /** The daily SMS cap holds the user's texts back for $2 seconds from now (never shortening an earlier hold). */
  suppressSms: statement<never, [id: string, seconds: number]>(
    'user_suppress_sms',
    `UPDATE users SET sms_suppressed_until = greatest(sms_suppressed_until, now() + make_interval(secs => $2)) WHERE id = $1`,
  ),
  /** Sessions and todos go with the user (ON DELETE CASCADE). */
  delete: statement<never, [id: string]>('user_delete', 'DELETE FROM users WHERE id = $1'),
};
