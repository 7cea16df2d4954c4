import { isoUtc, statement } from '../../database/sql.js';

export interface PasskeyRow {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A passkey as a sign-in needs it, with its owner's current tokenHash for the refresh token's key. */
export interface StoredCredentialRow {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Buffer;
  counter: string;
  transports: string[];
  tokenHash: string;
}

export interface SpentLoginChallengeRow {
  challenge: string;
  userId: string | null;
  anyUser: boolean;
  live: boolean;
}

const VIEW = `id, name, ${isoUtc('created_at')} AS "createdAt",
  CASE WHEN last_used_at IS NULL THEN NULL ELSE ${isoUtc('last_used_at')} END AS "lastUsedAt"`;

/**
 * Each new challenge also deletes a bounded batch of expired ones (spent ones are deleted when
 * spent), so the table holds about five minutes of challenges whatever the traffic.
 */
const PURGE_EXPIRED = `purged AS (DELETE FROM webauthn_challenges WHERE id IN
  (SELECT id FROM webauthn_challenges WHERE expires_at <= now() LIMIT 50))`;

/** Every statement on the `passkeys` and `webauthn_challenges` tables. */
export const PASSKEYS = {
  /** A registration challenge for user $2; the user's earlier one dies (one ceremony at a time). */
  issueRegistration: statement<{ id: string }, [challenge: string, userId: string, ttlSeconds: number]>(
    'webauthn_issue_registration',
    `WITH ${PURGE_EXPIRED},
          replaced AS (DELETE FROM webauthn_challenges WHERE purpose = 'register' AND user_id = $2)
     INSERT INTO webauthn_challenges (challenge, purpose, user_id, expires_at)
     VALUES ($1, 'register', $2, now() + make_interval(secs => $3)) RETURNING id`,
  ),

  /**
   * A sign-in challenge: for the account with address $2, or for any account when $2 is null.
   * An address no account has still gets a challenge, one that no credential satisfies: the
   * answer and the work are the same either way (no enumeration).
   */
  issueLogin: statement<{ id: string }, [challenge: string, email: string | null, ttlSeconds: number]>(
    'webauthn_issue_login',
    `WITH ${PURGE_EXPIRED}
     INSERT INTO webauthn_challenges (challenge, purpose, user_id, any_user, expires_at)
     VALUES ($1, 'login', (SELECT id FROM users WHERE email = $2::varchar), $2::varchar IS NULL, now() + make_interval(secs => $3))
     RETURNING id`,
  ),

  /** Spends user $2's registration challenge $1: deleted whether or not it is still live, so it works once. */
  spendRegistration: statement<{ live: boolean }, [challenge: string, userId: string]>(
    'webauthn_spend_registration',
    `DELETE FROM webauthn_challenges WHERE challenge = $1 AND purpose = 'register' AND user_id = $2
      RETURNING expires_at > now() AS live`,
  ),

  /** Spends sign-in challenge $1 (of concurrent spends, one gets the row). */
  spendLogin: statement<SpentLoginChallengeRow, [id: string]>(
    'webauthn_spend_login',
    `DELETE FROM webauthn_challenges WHERE id = $1 AND purpose = 'login'
      RETURNING challenge, user_id AS "userId", any_user AS "anyUser", expires_at > now() AS live`,
  ),

  credentialIdsOf: statement<{ credentialId: string; transports: string[] }, [userId: string]>(
    'passkeys_credential_ids',
    `SELECT credential_id AS "credentialId", transports FROM passkeys WHERE user_id = $1`,
  ),

  byCredentialId: statement<StoredCredentialRow, [credentialId: string]>(
    'passkeys_by_credential_id',
    `SELECT p.id, p.user_id AS "userId", p.credential_id AS "credentialId", p.public_key AS "publicKey",
            p.counter, p.transports, u.token_hash AS "tokenHash"
       FROM passkeys p JOIN users u ON u.id = p.user_id
      WHERE p.credential_id = $1`,
  ),

  /** Adds a passkey unless the user has $7 already; the unique credential id refuses a second owner. */
  insert: statement<
    PasskeyRow,
    [userId: string, credentialId: string, publicKey: Buffer, counter: number, transports: string[], name: string, limit: number]
  >(
    'passkeys_insert',
    `INSERT INTO passkeys (user_id, credential_id, public_key, counter, transports, name)
     SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT count(*) FROM passkeys WHERE user_id = $1) < $7
     RETURNING ${VIEW}`,
  ),

  list: statement<PasskeyRow, [userId: string]>('passkeys_list', `SELECT ${VIEW} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`),

  delete: statement<{ id: string }, [id: string, userId: string]>(
    'passkeys_delete',
    'DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING id',
  ),

  /**
   * Records counter $2 only if it moved forward (or both are 0: an authenticator without a
   * counter), in one conditional UPDATE, so two sign-ins racing with one signature cannot both pass.
   */
  advanceCounter: statement<{ id: string }, [id: string, counter: number]>(
    'passkeys_advance_counter',
    `UPDATE passkeys SET counter = $2, last_used_at = now()
      WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0)) RETURNING id`,
  ),
};
