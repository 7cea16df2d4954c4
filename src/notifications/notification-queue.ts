import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type Job, PgBoss } from 'pg-boss';
import type { Environment } from '../config/environment.js';
import { DatabaseOutage, isDatabaseUnavailable } from '../database/database-outage.js';
import { Db, type Tx } from '../database/db.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { traceJob, withTraceContext } from '../tracing/job-trace.js';
import { type NotificationChannel, type NotificationCounters, PermanentDeliveryFailure } from './notification-channel.js';

/**
 * API.md, Notifications: the first retry within 5 s, then exponential backoff with jitter
 * (pg-boss: delay × 2^k × (1 + random)) capped at 5 minutes; 10 retries span 18.5 to 23.5
 * minutes. retryDelay is QUEUE_RETRY_DELAY (default 2; tests use 1, still over 13 minutes in
 * all). An attempt may stay active 60 s (the provider's own timeout is 10 s) before it is counted
 * as failed. Failed entries are kept 30 days for an operator.
 */
export const RETRY_POLICY = {
  retryLimit: 10,
  retryDelay: 2,
  retryBackoff: true,
  retryDelayMax: 300,
  expireInSeconds: 60,
  deleteAfterSeconds: 30 * 24 * 3600,
} as const;

/**
 * The one queue behind every channel: pg-boss on the application's database. Messages are
 * inserted by the transaction that causes them; workers in every instance share the queue
 * (FOR UPDATE SKIP LOCKED), so each entry is delivered by one of them.
 */
@Injectable()
export class NotificationQueue implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Notifications');
  private readonly boss: PgBoss;
  private readonly channels = new Map<string, NotificationChannel>();
  private readonly counters: NotificationCounters[] = [];
  private readonly scheduled = new Map<string, { cron: string; task: () => Promise<void> }>();
  private readonly pollingIntervalSeconds: number;
  private readonly policy: typeof RETRY_POLICY & { retryDelay: number; notify: true };

  constructor(
    config: ConfigService<Environment, true>,
    private readonly db: Db,
    outage: DatabaseOutage,
    metrics: MetricsService,
  ) {
    // GET /metrics: messages queued, delivered and failed, by channel.
    this.counters.push(metrics);
    this.pollingIntervalSeconds = config.getOrThrow('QUEUE_POLL_INTERVAL_MS', { infer: true }) / 1000;
    this.policy = { ...RETRY_POLICY, retryDelay: config.getOrThrow('QUEUE_RETRY_DELAY', { infer: true }), notify: true };
    this.boss = new PgBoss({
      connectionString: config.getOrThrow('DATABASE_URL', { infer: true }),
      schema: 'pgboss',
      max: 3,
      application_name: 'todo-api-queue',
      // A NOTIFY on insert wakes an idle worker at once; polling finds retries that come due.
      useListenNotify: true,
      // Its own spans would include a root trace for every poll; each job's delivery is traced
      // here instead, in the trace of the request that queued it (tracing/job-trace.ts).
      openTelemetry: { enabled: false },
    });
    // The workers poll through a database outage: that is the outage's one log line, not one per poll.
    this.boss.on('error', (error: Error) =>
      isDatabaseUnavailable(error) ? outage.report(error, false) : this.logger.error(`queue: ${error.message}`),
    );
  }

  /** Called by a channel's module at init; workers start once the application has booted. */
  register(channel: NotificationChannel): void {
    if (this.channels.has(channel.name)) throw new Error(`notification channel ${channel.name} registered twice`);
    this.channels.set(channel.name, channel);
  }

  /**
   * Runs `task` on the `cron` schedule (UTC) in one instance of all: pg-boss keeps the schedule in
   * the database and its clock queues one job per due time, which one worker takes. For
   * housekeeping (purges); a task that fails is retried like a message.
   */
  schedule(name: string, cron: string, task: () => Promise<void>): void {
    if (this.channels.has(name) || this.scheduled.has(name)) throw new Error(`queue ${name} registered twice`);
    this.scheduled.set(name, { cron, task });
  }

  /** Another listener (besides the metrics service) for every message queued, delivered or given up on. */
  observe(counters: NotificationCounters): void {
    this.counters.push(counters);
  }

  /**
   * Queues a message inside the caller's transaction: rolled back with it, visible to the
   * workers only once it commits. Returns the entry's id.
   */
  async enqueue<Payload extends object>(tx: Tx, channel: string, payload: Payload): Promise<string> {
    if (!this.channels.has(channel)) throw new Error(`no notification channel ${channel}`);
    const id = await this.boss.send(channel, withTraceContext(payload), {
      db: { executeSql: async (text: string, values?: unknown[]) => ({ rows: await this.db.foreign(text, values, tx) }) },
    });
    if (!id) throw new Error(`the ${channel} queue refused the message`);
    tx.afterCommit(() => this.count('messageQueued', channel));
    return id;
  }

  async onApplicationBootstrap(): Promise<void> {
    // pg-boss creates or migrates its own schema under an advisory lock, so instances may start together.
    await this.boss.start();
    for (const channel of this.channels.values()) {
      await this.boss.createQueue(channel.name, this.policy);
      // createQueue leaves an existing queue as it is: without this, a changed policy would never
      // reach a database where an earlier release created the queue. Entries already queued keep theirs.
      await this.boss.updateQueue(channel.name, this.policy);
      await this.boss.work<object>(
        channel.name,
        {
          // Each batch costs a fetch and a completion round trip: at 5 per batch one instance fell
          // behind ~200 new messages/s (delivery p50 2.5 s), at 20 it kept up (p50 ~55 ms; npm run bench:sms).
          batchSize: 20,
          // A batch completes when its slowest message does (a hung provider: up to its 10 s timeout);
          // a second worker keeps the rest of the queue moving meanwhile.
          localConcurrency: 2,
          // A full batch means more may be waiting: fetch again at once rather than after a poll
          // interval, or a backlog (after an outage, a restart) drains one batch per interval.
          burstWhenBatchFull: true,
          perJobResults: true,
          pollingIntervalSeconds: this.pollingIntervalSeconds,
          notifyPollingIntervalSeconds: this.pollingIntervalSeconds,
        },
        (jobs) => Promise.all(jobs.map((job) => this.attempt(channel, job))),
      );
    }
    for (const [name, { cron, task }] of this.scheduled) {
      await this.boss.createQueue(name, { retryLimit: 3, retryDelay: 60, expireInSeconds: 15 * 60 });
      await this.boss.schedule(name, cron, null, { tz: 'UTC' });
      await this.boss.work(name, { pollingIntervalSeconds: 60 }, () => task());
    }
  }

  /** On shutdown an attempt in flight may finish; one still running after 15 s goes back to the queue. */
  async onApplicationShutdown(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 15_000 });
  }

  private async attempt(channel: NotificationChannel, job: Job<object>) {
    try {
      await traceJob(channel.name, job.id, job.data, (payload) => channel.deliver(payload, { id: job.id, signal: job.signal }));
      this.count('messageDelivered', channel.name);
      return { id: job.id, status: 'completed' as const };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof PermanentDeliveryFailure;
      const last = permanent || job.retryCount >= this.policy.retryLimit;
      if (last) this.count('messageFailed', channel.name);
      this.logger.warn(
        `${channel.name} ${job.id}: attempt ${job.retryCount + 1} failed${permanent ? ' for good' : last ? ', the last retry' : ', will retry'}: ${message}`,
      );
      // 'deadletter' ends the entry as failed without spending the remaining retries.
      return { id: job.id, status: permanent ? ('deadletter' as const) : ('failed' as const), output: { error: message } };
    }
  }

  private count(event: keyof NotificationCounters, channel: string): void {
    for (const counters of this.counters) {
      try {
        counters[event](channel);
      } catch (error) {
        // Counting must never fail a delivery or a request.
        this.logger.error(`counting ${event} for ${channel}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
