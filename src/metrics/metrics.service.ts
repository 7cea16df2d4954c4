import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from '@prometheus-io/client';
import type pg from 'pg';
import { PG_POOL } from '../database/pool.js';

/** Delivery channels of the notification queue (SMS, mail). */
export type MessageChannel = 'sms' | 'mail' | (string & {});

/**
 * This instance's Prometheus metrics, in a registry of its own (one app per registry, so tests can
 * build several). Other modules inject it and count what they own: the notification queue calls
 * messageQueued/Delivered/Failed with its channel.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status: count and duration',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  private readonly logins = new Counter({
    name: 'auth_logins_total',
    help: 'Logins, by result (success: a session opened by password, by password and code, or by passkey; failure: 401 invalid email or password)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly loginSuccesses = this.logins.labels('success');
  private readonly loginFailures = this.logins.labels('failure');
  private readonly refreshes = new Counter({
    name: 'auth_refreshes_total',
    help: 'Refresh tokens traded for a new pair',
    registers: [this.registry],
  });
  private readonly reuses = new Counter({
    name: 'auth_refresh_reuse_detected_total',
    help: 'Spent refresh tokens presented again (each revokes its session)',
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: 'http_rate_limited_total',
    help: 'Requests refused with 429, by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly limitRefusals = new Counter({
    name: 'limit_refusals_total',
    help: 'Requests (or mails and texts held back) refused by an abuse limit, by limit name (common/rate-limit/limits.ts)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  private readonly messages = {
    queued: new Counter({
      name: 'messages_queued_total',
      help: 'Messages queued, by channel',
      labelNames: ['channel'] as const,
      registers: [this.registry],
    }),
    delivered: new Counter({
      name: 'messages_delivered_total',
      help: 'Messages delivered, by channel',
      labelNames: ['channel'] as const,
      registers: [this.registry],
    }),
    failed: new Counter({
      name: 'messages_failed_total',
      help: 'Messages given up on after their last attempt, by channel',
      labelNames: ['channel'] as const,
      registers: [this.registry],
    }),
  };

  private readonly retention = {
    removed: new Counter({
      name: 'retention_removed_total',
      help: 'Rows the retention job deleted (or erased, queue_personal_data), by rule',
      labelNames: ['rule'] as const,
      registers: [this.registry],
    }),
    runs: new Counter({
      name: 'retention_runs_total',
      help: 'Retention job runs, by result',
      labelNames: ['result'] as const,
      registers: [this.registry],
    }),
    lastSeconds: new Gauge({
      name: 'retention_last_run_duration_seconds',
      help: 'How long the last retention run took',
      registers: [this.registry],
    }),
    lastRemoved: new Gauge({
      name: 'retention_last_run_removed',
      help: 'Rows the last retention run removed, by rule',
      labelNames: ['rule'] as const,
      registers: [this.registry],
    }),
  };

  constructor(@Inject(PG_POOL) pool: pg.Pool) {
    collectDefaultMetrics({ register: this.registry });
    // Read at scrape time only: nothing on the request path.
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (in use, idle) and requests waiting for one',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        this.set({ state: 'in_use' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new Gauge({
      name: 'db_pool_max_connections',
      help: 'Size of the database pool',
      registers: [this.registry],
      collect() {
        this.set(pool.options.max ?? 0);
      },
    });
  }

  /** Once per request, from the request-log hook (common/http.ts): one histogram observation. */
  observeRequest(method: string, route: string, status: number, elapsedMs: number): void {
    this.httpDuration.observe({ method, route, status }, elapsedMs / 1000);
    if (status === 429) this.rateLimited.inc({ route });
  }

  /** A login opened a session, once its transaction committed (password, password and code, or passkey). */
  loginSucceeded(): void {
    this.loginSuccesses.inc();
  }

  /** A login refused for an unknown email or a wrong password. */
  loginFailed(): void {
    this.loginFailures.inc();
  }

  /** A refresh token traded for the session's next pair. */
  refreshed(): void {
    this.refreshes.inc();
  }

  refreshReuseDetected(): void {
    this.reuses.inc();
  }

  limitRefused(limit: string): void {
    this.limitRefusals.inc({ limit });
  }

  messageQueued(channel: MessageChannel): void {
    this.messages.queued.inc({ channel });
  }

  messageDelivered(channel: MessageChannel): void {
    this.messages.delivered.inc({ channel });
  }

  messageFailed(channel: MessageChannel): void {
    this.messages.failed.inc({ channel });
  }

  /** Once per run of the retention job in this instance (the one that ran it). */
  retentionRun(removed: Record<string, number>, seconds: number, succeeded: boolean): void {
    for (const [rule, n] of Object.entries(removed)) {
      this.retention.removed.inc({ rule }, n);
      this.retention.lastRemoved.set({ rule }, n);
    }
    this.retention.runs.inc({ result: succeeded ? 'success' : 'failure' });
    this.retention.lastSeconds.set(seconds);
  }
}
