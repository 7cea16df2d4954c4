import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../config/environment.js';
import { Db } from '../database/db.js';
import { type Statement, statement } from '../database/sql.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NotificationQueue } from '../notifications/notification-queue.js';
import { RETENTION_RULES, type RetentionRule, type RetentionSettings } from './retention.rules.js';

export const RETENTION_TASK = 'retention';
/** A run stops starting batches after this long; the rest waits for the next run. */
const RUN_BUDGET_MS = 45 * 60_000;
/** pg-boss counts a run failed (and lets the next one start) after this long. */
const RUN_EXPIRY_SECONDS = 3600;
/**
 * After each full batch a run waits this many times as long as the batch took, so it holds the
 * database at most a third of the time. Back to back, 10,000,000 expired sessions went in 46 s but
 * tripled the p99 of GET /users/me meanwhile (docs/PERFORMANCE.md, Cost as the data grows).
 */
const PAUSE_PER_BATCH_TIME = 2;

export interface RetentionReport {
  /** Rows removed (or erased), by rule. */
  removed: Record<string, number>;
  /** Statements run, by rule: a rule with n rows past retention takes floor(n / batch size) + 1. */
  batches: Record<string, number>;
  milliseconds: number;
  /** The budget ran out before every rule was done. */
  unfinished: boolean;
  /** Of `milliseconds`, the time spent waiting between batches (PAUSE_PER_BATCH_TIME). */
  pausedMs: number;
}

/** One batch of a rule: at most $1 rows, locked rows skipped (a request holds them), the count back. */
function batchOf(rule: RetentionRule): Statement<{ n: number }, unknown[]> {
  const key = (alias: string) => `(${rule.key.map((column) => `${alias}.${column}`).join(', ')})`;
  const change = rule.update
    ? `UPDATE ${rule.table} t SET ${rule.update} FROM doomed WHERE ${key('t')} = ${key('doomed')} RETURNING 1`
    : `DELETE FROM ${rule.table} t USING doomed WHERE ${key('t')} = ${key('doomed')} RETURNING 1`;
  return statement(
    `retention_${rule.name}`,
    `WITH doomed AS (SELECT ${rule.key.join(', ')} FROM ${rule.table} WHERE ${rule.expired} LIMIT $1 FOR UPDATE SKIP LOCKED),
      changed AS (${change})
      SELECT count(*)::int AS n FROM changed`,
  );
}

/**
 * Issue 26: the service deletes what it no longer needs (RETENTION_RULES), on RETENTION_CRON, in
 * one instance at a time (a pg-boss schedule). Each run logs one line and updates the
 * retention_* metrics.
 */
@Injectable()
export class RetentionService implements OnModuleInit {
  private readonly logger = new Logger('Retention');
  private readonly batches = RETENTION_RULES.map((rule) => ({ rule, statement: batchOf(rule) }));
  private readonly settings: RetentionSettings;
  private readonly batchSize: number;
  private readonly cron: string;

  constructor(
    config: ConfigService<Environment, true>,
    private readonly db: Db,
    private readonly queue: NotificationQueue,
    private readonly metrics: MetricsService,
  ) {
    this.settings = { sessionRetentionDays: config.getOrThrow('SESSION_RETENTION', { infer: true }) };
    this.batchSize = config.getOrThrow('RETENTION_BATCH_SIZE', { infer: true });
    this.cron = config.getOrThrow('RETENTION_CRON', { infer: true });
  }

  onModuleInit(): void {
    this.queue.schedule({
      name: RETENTION_TASK,
      cron: this.cron,
      expireInSeconds: RUN_EXPIRY_SECONDS,
      run: async () => {
        await this.run();
      },
    });
  }

  /** One run over every rule. A rule that fails is logged and the others still run; the run then fails. */
  async run(budgetMs = RUN_BUDGET_MS): Promise<RetentionReport> {
    const started = performance.now();
    const report: RetentionReport = { removed: {}, batches: {}, milliseconds: 0, unfinished: false, pausedMs: 0 };
    const failures: string[] = [];
    for (const { rule, statement } of this.batches) {
      report.removed[rule.name] = 0;
      report.batches[rule.name] = 0;
      if (report.unfinished) continue;
      const params = [this.batchSize, ...(rule.params?.(this.settings) ?? [])];
      try {
        for (;;) {
          const batchStarted = performance.now();
          const [{ n }] = await this.db.run(statement, params);
          report.batches[rule.name]++;
          report.removed[rule.name] += n;
          if (n < this.batchSize) break;
          if (performance.now() - started > budgetMs) {
            report.unfinished = true;
            break;
          }
          const pause = Math.ceil((performance.now() - batchStarted) * PAUSE_PER_BATCH_TIME);
          await sleep(pause);
          report.pausedMs += pause;
        }
      } catch (error) {
        failures.push(`${rule.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    report.milliseconds = Math.round(performance.now() - started);
    const counts = Object.entries(report.removed)
      .map(([name, n]) => `${name}=${n}`)
      .join(' ');
    const batches = Object.values(report.batches).reduce((sum, n) => sum + n, 0);
    const line = `removed ${counts} in ${batches} batches of up to ${this.batchSize}, ${report.milliseconds} ms (${report.pausedMs} ms of it paused)`;
    if (failures.length > 0) this.logger.error(`${line}; failed: ${failures.join('; ')}`);
    else this.logger.log(report.unfinished ? `${line}; unfinished, the next run continues` : line);
    this.metrics.retentionRun(report.removed, report.milliseconds / 1000, failures.length === 0);
    if (failures.length > 0) throw new Error(`retention failed: ${failures.join('; ')}`);
    return report;
  }
}
