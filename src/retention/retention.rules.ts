import { ERASED_DATA, FINISHED_STATES } from '../notifications/queue-jobs.sql.js';

/** What a rule's `$2`, `$3`... may draw on. */
export interface RetentionSettings {
  sessionRetentionDays: number;
}

/**
 * One kind of row the service stops keeping. The job runs `expired` a batch at a time: each batch
 * is one short statement over at most RETENTION_BATCH_SIZE rows, so no run locks a big table for
 * long. `expired` must be served by an index (test/retention.e2e-spec.ts checks every rule's plan)
 * and must stop matching a row once the rule has dealt with it.
 */
export interface RetentionRule {
  /** The log key and the metric's `rule` label. */
  name: string;
  table: string;
  /** The table's primary key columns. */
  key: readonly string[];
  /** SQL condition on the rows past retention; `$2`, `$3`... are `params`. */
  expired: string;
  params?: (settings: RetentionSettings) => unknown[];
  /** Instead of deleting the row, sets this (`column = expression`). */
  update?: string;
}

/** Issue 26: how long each kind of row is kept. A new kind is one more entry (with an index for `expired`). */
export const RETENTION_RULES: readonly RetentionRule[] = [
  {
    name: 'sessions',
    table: 'sessions',
    key: ['id'],
    // sessions_ended_at_idx: ended when it expired or was revoked, whichever came first.
    expired: 'LEAST(expires_at, revoked_at) < now() - make_interval(days => $2::int)',
    params: (settings) => [settings.sessionRetentionDays],
  },
  {
    name: 'link_tokens',
    table: 'link_tokens',
    key: ['token_hash'],
    // link_tokens_ended_at_idx. A deleted token is refused exactly like a spent one.
    expired: 'LEAST(expires_at, used_at) <= now()',
  },
  {
    name: 'rate_limits',
    table: 'rate_limits',
    key: ['key'],
    // rate_limits_expire_idx; `expire` is rate-limiter-flexible's epoch milliseconds, NULL for never.
    expired: '"expire" < (extract(epoch FROM now()) * 1000)::bigint',
  },
  {
    // API.md, Security events: kept 90 days (security_events_at_idx).
    name: 'security_events',
    table: 'security_events',
    key: ['id'],
    expired: `at < now() - interval '90 days'`,
  },
  {
    // The queue's own table is small (finished entries live a day or a week); pg-boss deletes the
    // failed ones after 7 days too (RETRY_POLICY.deleteAfterSeconds).
    name: 'queue_completed',
    table: 'pgboss.job',
    key: ['name', 'id'],
    expired: `state = 'completed' AND completed_on < now() - interval '1 day'`,
  },
  {
    name: 'queue_failed',
    table: 'pgboss.job',
    key: ['name', 'id'],
    expired: `state IN ('cancelled', 'failed') AND completed_on < now() - interval '7 days'`,
  },
  {
    // The worker erases an entry's personal data as it finishes; this catches any it could not
    // (an instance that stopped in between, entries pg-boss itself failed on expiry).
    name: 'queue_personal_data',
    table: 'pgboss.job',
    key: ['name', 'id'],
    expired: `state IN ${FINISHED_STATES} AND NOT data ? 'erased'`,
    update: `data = ${ERASED_DATA}`,
  },
];
