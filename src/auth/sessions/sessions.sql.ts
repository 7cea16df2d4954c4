import { isoUtc, statement } from '../../database/sql.js';

export interface SessionStateRow {
  userId: string;
  expiresAt: Date;
  revoked: boolean;
}

/** An active session as GET /auth/sessions lists it, timestamps already ISO-8601 UTC. */
export interface ActiveSessionRow {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  /** How the session was signed in (RFC 8176): `["pwd"]`, `["pwd","otp"]`. */
  amr: string[];
}

/** Every statement on the `sessions` table. */
export const SESSIONS = {
  /** The access-token check on a cache miss (SessionStateCache). */
  state: statement<SessionStateRow, [id: string]>(
    'session_state',
    'SELECT user_id AS "userId", expires_at AS "expiresAt", revoked_at IS NOT NULL AS revoked FROM sessions WHERE id = $1',
  ),
  open: statement<
    never,
    [
      id: string,
      userId: string,
      refreshJti: string,
      ttlSeconds: number,
      userAgent: string | null,
      ip: string | null,
      amr: readonly string[],
    ]
  >(
    'session_open',
    `INSERT INTO sessions (id, user_id, refresh_jti, expires_at, user_agent, ip, amr)
      VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6, $7)`,
  ),
  /** How a live session of the user was signed in. */
  amr: statement<{ amr: string[] }, [id: string, userId: string]>(
    'session_amr',
    'SELECT amr FROM sessions WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()',
  ),
  /**
   * Spends refresh token $3 and makes $4 the live one; or, when $3 is the token this session spent
   * last and that was under $6 seconds ago (REFRESH_REUSE_GRACE), leaves the live one as it is.
   * One conditional UPDATE: concurrent callers queue on the row lock and each re-reads the row the
   * one before left (READ COMMITTED re-checks the WHERE on the newest version), so at most one
   * rotates, the rest match as the just-spent token, and a session never has two live jtis.
   * Returns the live jti after the statement, the user's current tokenHash and the session's amr
   * (a refresh keeps how the session was signed in).
   */
  rotate: statement<
    { liveJti: string; tokenHash: string; amr: string[] },
    [id: string, userId: string, jti: string, nextJti: string, ttlSeconds: number, graceSeconds: number]
  >(
    'session_rotate',
    `UPDATE sessions s
        SET previous_jti      = CASE WHEN s.refresh_jti = $3 THEN s.refresh_jti ELSE s.previous_jti END,
            previous_spent_at = CASE WHEN s.refresh_jti = $3 THEN now() ELSE s.previous_spent_at END,
            expires_at        = CASE WHEN s.refresh_jti = $3 THEN now() + make_interval(secs => $5) ELSE s.expires_at END,
            refresh_jti       = CASE WHEN s.refresh_jti = $3 THEN $4 ELSE s.refresh_jti END,
            last_used_at      = now()
       FROM users u
      WHERE s.id = $1 AND s.user_id = $2 AND u.id = s.user_id
        AND s.revoked_at IS NULL AND s.expires_at > now()
        AND (s.refresh_jti = $3
             OR ($6::int > 0 AND s.previous_jti = $3 AND s.previous_spent_at > now() - make_interval(secs => $6::int)))
  RETURNING s.refresh_jti AS "liveJti", u.token_hash AS "tokenHash", s.amr`,
  ),
  /**
   * Ends the session when $3 is a refresh token it already spent (not its live one): called only
   * after `rotate` matched nothing, so the grace has already been given its chance.
   */
  revokeOnReuse: statement<{ id: string }, [id: string, userId: string, jti: string]>(
    'session_revoke_on_reuse',
    `UPDATE sessions SET revoked_at = now()
      WHERE id = $1 AND user_id = $2 AND refresh_jti <> $3 AND revoked_at IS NULL
  RETURNING id`,
  ),
  revoke: statement<{ id: string }, [id: string, userId: string]>(
    'session_revoke',
    `UPDATE sessions SET revoked_at = now()
      WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
  RETURNING id`,
  ),
  revokeAll: statement<{ id: string }, [userId: string]>(
    'session_revoke_all',
    'UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
  ),
  revokeAllBut: statement<{ id: string }, [userId: string, keptId: string]>(
    'session_revoke_all_but',
    'UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id',
  ),
  listActive: statement<ActiveSessionRow, [userId: string]>(
    'sessions_list_active',
    `SELECT id, ${isoUtc('created_at')} AS "createdAt", ${isoUtc('last_used_at')} AS "lastUsedAt",
            ${isoUtc('expires_at')} AS "expiresAt", user_agent AS "userAgent", ip, amr
       FROM sessions
      WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
      ORDER BY last_used_at DESC, id`,
  ),
};
