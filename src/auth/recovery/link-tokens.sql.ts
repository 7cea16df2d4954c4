import { statement } from '../../database/sql.js';
import type { LinkPurpose } from './link-token.entity.js';

/**
 * What a link is bound to: the SHA-256 of the address it verifies, or of the user's tokenHash for
 * a reset. A link whose binding no longer matches is dead: a password change or reset redraws the
 * tokenHash, so every reset link issued before it stops working without being touched.
 */
const BINDING = (purpose: string, user: string) =>
  `encode(sha256(convert_to(CASE ${purpose} WHEN 'verify-email' THEN ${user}.email ELSE ${user}.token_hash END, 'UTF8')), 'hex')`;

/**
 * Issuing a link also deletes the user's spent and expired ones, and every earlier link of the
 * same purpose (API.md: one live link per purpose, so a flood of requests leaves one link alive,
 * not dozens). The table holds a few rows per user at most. A deleted token is refused exactly
 * like a spent one.
 */
const PURGE = (purpose: LinkPurpose) =>
  `purged AS (DELETE FROM link_tokens WHERE user_id IN (SELECT id FROM target)
                AND (used_at IS NOT NULL OR expires_at <= now() OR purpose = '${purpose}'))`;

/**
 * Inserts a link of `purpose` (token hash $2, lifetime $3 seconds) for the user `where` selects,
 * purging that user's dead links on the way; returns the address to mail it to, or no row.
 */
const issue = (purpose: LinkPurpose, where: string) =>
  `WITH target AS (SELECT id, email, token_hash FROM users WHERE ${where}),
        ${PURGE(purpose)},
        issued AS (INSERT INTO link_tokens (token_hash, user_id, purpose, bound_to, expires_at)
                   SELECT $2, id, '${purpose}', ${BINDING(`'${purpose}'`, 'target')}, now() + make_interval(secs => $3)
                     FROM target
                   RETURNING user_id)
   SELECT target.email FROM target JOIN issued ON issued.user_id = target.id`;

/** Every statement on the `link_tokens` table. */
export const LINK_TOKENS = {
  /**
   * Issues a verification link for user $1 unless the address is verified already; returns the
   * address to mail it to, or nothing (no such user, or nothing to verify).
   */
  issueVerification: statement<{ email: string }, [userId: string, tokenHash: string, ttlSeconds: number]>(
    'link_tokens_issue_verification',
    issue('verify-email', 'id = $1 AND email_verified_at IS NULL'),
  ),

  /** Issues a reset link for the account with address $1, if there is one; returns its address. */
  issueReset: statement<{ email: string }, [email: string, tokenHash: string, ttlSeconds: number]>(
    'link_tokens_issue_reset',
    issue('password-reset', 'email = $1'),
  ),

  /** The token is a live link of `purpose`: a cheap look before the slow work a reset does first. */
  live: statement<{ live: true }, [tokenHash: string, purpose: LinkPurpose]>(
    'link_tokens_live',
    `SELECT true AS live FROM link_tokens t JOIN users u ON u.id = t.user_id
      WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()
        AND t.bound_to = ${BINDING('t.purpose', 'u')}`,
  ),

  /**
   * Spends a live link of `purpose` in one conditional UPDATE: of any number of concurrent calls
   * with one token, exactly one gets the user id back (the others wait on the row lock, then find
   * it used). Unknown, used, expired, unbound and wrong-purpose tokens all return nothing.
   */
  spend: statement<{ userId: string }, [tokenHash: string, purpose: LinkPurpose]>(
    'link_tokens_spend',
    `UPDATE link_tokens t SET used_at = now()
       FROM users u
      WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > now()
        AND u.id = t.user_id AND t.bound_to = ${BINDING('t.purpose', 'u')}
      RETURNING t.user_id AS "userId"`,
  ),
};
