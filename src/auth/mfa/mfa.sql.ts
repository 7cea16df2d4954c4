import { statement } from '../../database/sql.js';

export interface TotpRow {
  /** Sealed (SecretBox): never the base32 secret. */
  secret: string;
  enabled: boolean;
}

/** The per-user window of wrong codes has passed ($2: its length in seconds). */
const WINDOW_OVER = '(code_failures_since IS NULL OR code_failures_since <= now() - make_interval(secs => $2))';

/** Every statement on the second-factor tables (user_totp, mfa_recovery_codes, mfa_challenges). */
export const MFA = {
  enabled: statement<{ enabled: boolean }, [userId: string]>(
    'mfa_enabled',
    'SELECT enabled_at IS NOT NULL AS enabled FROM user_totp WHERE user_id = $1',
  ),
  email: statement<{ email: string }, [userId: string]>('mfa_user_email', 'SELECT email FROM users WHERE id = $1'),
  /**
   * A new pending secret, replacing a pending one; nothing when TOTP is already enabled (then no
   * row comes back). The per-user count of wrong codes survives a new setup.
   */
  startSetup: statement<{ userId: string }, [userId: string, secret: string]>(
    'mfa_start_setup',
    `INSERT INTO user_totp (user_id, secret) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, last_used_step = NULL, created_at = now()
      WHERE user_totp.enabled_at IS NULL
  RETURNING user_id AS "userId"`,
  ),
  /**
   * Counts one code attempt against the user's limit ($3 per $2 seconds) before the code is
   * checked, and returns the secret; no row when the limit is reached (or there is no secret).
   * Counting first, in one statement, means concurrent guesses cannot all pass a check made
   * before any of them was counted. A correct code gives its attempt back (refundAttempt).
   */
  takeAttempt: statement<TotpRow, [userId: string, windowSeconds: number, limit: number]>(
    'mfa_take_attempt',
    `UPDATE user_totp SET
        code_failures       = CASE WHEN ${WINDOW_OVER} THEN 1 ELSE code_failures + 1 END,
        code_failures_since = CASE WHEN ${WINDOW_OVER} THEN now() ELSE code_failures_since END
      WHERE user_id = $1 AND (${WINDOW_OVER} OR code_failures < $3)
  RETURNING secret, enabled_at IS NOT NULL AS enabled`,
  ),
  /** Seconds until the user's window of wrong codes ends ($2: its length), when takeAttempt found nothing. */
  attemptsRetryAfter: statement<{ retryAfter: number; enabled: boolean }, [userId: string, windowSeconds: number]>(
    'mfa_attempts_retry_after',
    `SELECT greatest(1, ceil(extract(epoch FROM code_failures_since + make_interval(secs => $2) - now())))::int AS "retryAfter",
            enabled_at IS NOT NULL AS enabled
       FROM user_totp WHERE user_id = $1`,
  ),
  refundAttempt: statement<never, [userId: string]>(
    'mfa_refund_attempt',
    'UPDATE user_totp SET code_failures = greatest(code_failures - 1, 0) WHERE user_id = $1',
  ),
  /**
   * Accepts a code of time step $2: only while TOTP is on and the step is later than the last
   * accepted one. Concurrent uses of one code queue on the row lock and re-check the WHERE on the
   * row the first left (READ COMMITTED), so exactly one of them gets a row back.
   */
  claimStep: statement<{ userId: string }, [userId: string, step: number]>(
    'mfa_claim_step',
    `UPDATE user_totp SET last_used_step = $2
      WHERE user_id = $1 AND enabled_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $2)
  RETURNING user_id AS "userId"`,
  ),
  /**
   * The user's row, locked: the first statement of a transaction that turns TOTP on or off. The
   * trigger that keeps users.mfa_enabled writes users after user_totp, and an account deletion locks
   * users before it cascades to user_totp: taking users first on both sides makes the two wait for
   * each other instead of deadlocking.
   */
  lockOwner: statement<never, [userId: string]>('mfa_lock_owner', 'SELECT 1 FROM users WHERE id = $1 FOR UPDATE'),
  /** Turns the pending secret $3 on, with the step of the code that proved it as the last one used. */
  enable: statement<{ userId: string }, [userId: string, step: number, secret: string]>(
    'mfa_enable',
    `UPDATE user_totp SET enabled_at = now(), last_used_step = $2
      WHERE user_id = $1 AND secret = $3 AND enabled_at IS NULL
  RETURNING user_id AS "userId"`,
  ),
  /** The same secret sealed under the current key, unless it changed meanwhile. */
  reseal: statement<never, [userId: string, sealed: string, resealed: string]>(
    'mfa_reseal',
    'UPDATE user_totp SET secret = $3 WHERE user_id = $1 AND secret = $2',
  ),
  disable: statement<{ userId: string }, [userId: string]>(
    'mfa_disable',
    'DELETE FROM user_totp WHERE user_id = $1 AND enabled_at IS NOT NULL RETURNING user_id AS "userId"',
  ),
  deleteRecoveryCodes: statement<never, [userId: string]>('mfa_delete_recovery_codes', 'DELETE FROM mfa_recovery_codes WHERE user_id = $1'),
  insertRecoveryCodes: statement<never, [userId: string, hashes: string[]]>(
    'mfa_insert_recovery_codes',
    'INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::char(64)[])',
  ),
  /** Spends an unused recovery code; of concurrent uses, one gets the row. */
  spendRecoveryCode: statement<{ userId: string }, [userId: string, codeHash: string]>(
    'mfa_spend_recovery_code',
    `UPDATE mfa_recovery_codes SET used_at = now()
      WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
  RETURNING user_id AS "userId"`,
  ),
  openChallenge: statement<never, [tokenHash: string, userId: string, boundTo: string, ttlSeconds: number]>(
    'mfa_open_challenge',
    `INSERT INTO mfa_challenges (token_hash, user_id, bound_to, expires_at)
      VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
  ),
  /** The user's challenges that ended a day ago: nothing reads them any more. */
  deleteOldChallenges: statement<never, [userId: string]>(
    'mfa_delete_old_challenges',
    `DELETE FROM mfa_challenges WHERE user_id = $1 AND expires_at < now() - interval '1 day'`,
  ),
  /**
   * Counts one attempt on a live challenge, at most $2 in all: no row once it is used, expired or
   * out of attempts. Counted before the code is checked, like takeAttempt.
   */
  takeChallengeAttempt: statement<{ userId: string }, [tokenHash: string, limit: number]>(
    'mfa_take_challenge_attempt',
    `UPDATE mfa_challenges SET attempts = attempts + 1
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
  RETURNING user_id AS "userId"`,
  ),
  /**
   * Spends the challenge, while the user's tokenHash is still the one it was issued under (a
   * password change or reset since then kills it). Returns that tokenHash for the new pair.
   */
  spendChallenge: statement<{ userId: string; tokenHash: string }, [tokenHash: string]>(
    'mfa_spend_challenge',
    `UPDATE mfa_challenges c SET used_at = now()
       FROM users u
      WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() AND u.id = c.user_id AND u.token_hash = c.bound_to
  RETURNING c.user_id AS "userId", u.token_hash AS "tokenHash"`,
  ),
};
