import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type Job, PgBoss } from 'pg-boss';
import type { Environment } from '../config/environment.js';
import { DatabaseOutage, isDatabaseUnavailable } from '../database/database-outage.js';
import { Db, type Tx } from '../database/db.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { traceJob, withTraceContext } from '../tracing/job-trace.js';
import { type NotificationChannel, type NotificationCounters, PermanentDeliveryFailure } from './notification-channel.js';
import { QUEUE_JOBS } from './queue-jobs.sql.js';

/** Work the service does on a schedule (retention): one run at a time across every instance. */
export interface ScheduledTask {
  name: string;
  /** Five-field cron, UTC. */
  cron: string;
  /** How long one run may take before pg-boss counts it failed. */
  expireInSeconds: number;
  run(): Promise<void>;
}

/**
 * API.md, Notifications: the first retry within 5 s, then exponential backoff with jitter
 * (pg-boss: delay × 2^k × (1 + random)) capped at 5 minutes; 10 retries span 18.5 to 23.5
 * minutes. retryDelay is QUEUE_RETRY_DELAY (default 2; tests use 1, still over 13 minutes in
 * all). An attempt may stay active 60 s (the provider's own timeout is 10 s) before it is counted
 * as failed. Issue 26: failed entries are kept 7 days for an operator (completed ones 1 day: the
 * retention job, src/retention), their personal data erased once they finish.
 */
export const RETRY_POLICY = {
  retryLimit: 10,
  retryDelay: 2,
  retryBackoff: true,
  retryDelayMax: 300,
  expireInSeconds: 60,
  deleteAfterSeconds: 7 * 24 * 3600,
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
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly counters: NotificationCounters[] = [];
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
   * Called by a feature's module at init. pg-boss's cron creates one entry per occurrence (one
   * instance does, under its lock) and one worker takes it; the singleton policy keeps a second
   * run from starting while one is still active, so exactly one instance runs each occurrence.
   */
  schedule(task: ScheduledTask): void {
    if (this.tasks.has(task.name) || this.channels.has(task.name)) throw new Error(`queue ${task.name} registered twice`);
    this.tasks.set(task.name, task);
  }

  /** An occurrence now, as the cron would create it (operators, tests). Returns the entry's id, or null if one is already queued. */
  runNow(task: string): Promise<string | null> {
    if (!this.tasks.has(task)) throw new Error(`no scheduled task ${task}`);
    return this.boss.send(task, {});
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
    for (const task of this.tasks.values()) {
      const policy = { policy: 'singleton', retryLimit: 0, expireInSeconds: task.expireInSeconds, deleteAfterSeconds: 7 * 24 * 3600 };
      await this.boss.createQueue(task.name, policy);
      await this.boss.updateQueue(task.name, {
        retryLimit: 0,
        expireInSeconds: task.expireInSeconds,
        deleteAfterSeconds: policy.deleteAfterSeconds,
      });
      // One schedule row per name: every instance states the same one, so it is stored once.
      await this.boss.schedule(task.name, task.cron, {}, { tz: 'UTC' });
      await this.boss.work(task.name, { batchSize: 1, pollingIntervalSeconds: this.pollingIntervalSeconds }, async () => {
        await task.run();
      });
    }
  }

  /** On shutdown an attempt in flight may finish; one still running after 15 s goes back to the queue. */
  async onApplicationShutdown(): Promise<void> {
    await this.boss.stop({ graceful: true, timeout: 15_000 });
  }

  private async attempt(channel: NotificationChannel, job: Job<object>) {
    // Erased means it already finished (delivered, or given up on) and the instance stopped before
    // pg-boss recorded it: sending it again is not possible, and not wanted.
    if ('erased' in job.data) return { id: job.id, status: 'completed' as const };
    try {
      await traceJob(channel.name, job.id, job.data, (payload) => channel.deliver(payload, { id: job.id, signal: job.signal }));
      this.count('messageDelivered', channel.name);
      await this.erase(channel.name, job.id);
      return { id: job.id, status: 'completed' as const };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const permanent = error instanceof PermanentDeliveryFailure;
      const last = permanent || job.retryCount >= this.policy.retryLimit;
      if (last) {
        this.count('messageFailed', channel.name);
        await this.erase(channel.name, job.id);
      }
      this.logger.warn(
        `${channel.name} ${job.id}: attempt ${job.retryCount + 1} failed${permanent ? ' for good' : last ? ', the last retry' : ', will retry'}: ${message}`,
      );
      // 'deadletter' ends the entry as failed without spending the remaining retries.
      return { id: job.id, status: permanent ? ('deadletter' as const) : ('failed' as const), output: { error: message } };
    }
  }

  /**
   * Issue 26: an entry that will not be attempted again keeps no personal data. Done before pg-boss
   * marks it finished; if this fails the retention job's sweep erases it later.
   */
  private async erase(queue: string, id: string): Promise<void> {
    try {
      await this.db.run(QUEUE_JOBS.erase, [queue, id]);
    } catch (error) {
      this.logger.warn(
        `${queue} ${id}: erasing its data failed, the retention sweep will: ${error instanceof Error ? error.message : String(error)}`,
      );
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
