import { isoUtc, statement } from '../database/sql.js';
import type { RefusalType, SecurityEventType } from './security-event.js';

/** One event as GET /users/me/security-events lists it (`id` only serves as the next cursor). */
export interface SecurityEventRow {
  id: string;
  type: SecurityEventType;
  at: string;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
}

const ROW = `id, type, ${isoUtc('at')} AS at, ip, user_agent AS "userAgent", session_id AS "sessionId"`;

/** Every statement on the `security_events` table. */
export const SECURITY_EVENTS = {
  record: statement<never, [userId: string, type: string, sessionId: string | null, ip: string | null, userAgent: string | null]>(
    'security_event_record',
    'INSERT INTO security_events (user_id, type, session_id, ip, user_agent) VALUES ($1, $2, $3, $4, $5)',
  ),
  /**
   * A batch of refusals. Each row is kept only while its account has fewer than $8 events of its
   * type in the last $7 seconds: the buffer bounds one instance, this bounds them all together
   * (and across restarts). Rows of accounts deleted meanwhile are left out rather than failing
   * the batch on the foreign key.
   */
  recordRefusals: statement<
    { type: RefusalType },
    [
      userIds: string[],
      types: string[],
      ats: string[],
      sessionIds: (string | null)[],
      ips: (string | null)[],
      userAgents: (string | null)[],
      windowSeconds: number,
      perAccount: number,
    ]
  >(
    'security_events_record_refusals',
    `INSERT INTO security_events (user_id, type, at, session_id, ip, user_agent)
     SELECT e.user_id, e.type, e.at, e.session_id, e.ip, e.user_agent
       FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::uuid[], $5::varchar[], $6::varchar[])
            AS e(user_id, type, at, session_id, ip, user_agent)
      WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = e.user_id)
        AND (SELECT count(*) FROM security_events s
              WHERE s.user_id = e.user_id AND s.type = e.type AND s.at > now() - make_interval(secs => $7)) < $8
  RETURNING type`,
  ),
  /** The user's first page, newest first; one row more than a page says whether another follows. */
  firstPage: statement<SecurityEventRow, [userId: string, rows: number]>(
    'security_events_first_page',
    `SELECT ${ROW} FROM security_events WHERE user_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
  ),
  /**
   * The page after event $2. The cursor event is looked up within the user's own events: a cursor
   * that is not one of theirs (made up, altered, another user's, purged) matches no row.
   */
  cursor: statement<{ found: true }, [userId: string, cursorId: string]>(
    'security_events_cursor',
    'SELECT true AS found FROM security_events WHERE id = $2 AND user_id = $1',
  ),
  nextPage: statement<SecurityEventRow, [userId: string, cursorId: string, rows: number]>(
    'security_events_next_page',
    `SELECT ${ROW} FROM security_events
      WHERE user_id = $1
        AND (at, id) < (SELECT c.at, c.id FROM security_events c WHERE c.id = $2 AND c.user_id = $1)
      ORDER BY at DESC, id DESC LIMIT $3`,
  ),
  /**
   * Whether the user logged in during the last $4 seconds at all, and from this address and
   * user agent: a new sign-in is one from a pair not seen, for a user who has logged in before.
   */
  loginHistory: statement<
    { loggedInBefore: boolean; knownDevice: boolean },
    [userId: string, ip: string | null, userAgent: string | null, seconds: number]
  >(
    'security_events_login_history',
    `SELECT count(*) > 0 AS "loggedInBefore",
            coalesce(bool_or(ip IS NOT DISTINCT FROM $2 AND user_agent IS NOT DISTINCT FROM $3), false) AS "knownDevice"
       FROM security_events
      WHERE user_id = $1 AND type = 'login' AND at > now() - make_interval(secs => $4)`,
  ),
  recipient: statement<{ email: string }, [userId: string]>('security_events_recipient', 'SELECT email FROM users WHERE id = $1'),
};
