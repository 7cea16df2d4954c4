import { BadRequestException, type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { Counter } from '@prometheus-io/client';
import { Db, type Tx } from '../database/db.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RefusalBuffer } from './refusal-buffer.js';
import { type ChangeType, type EventContext, type RefusalType, SECURITY_EVENT_TYPES } from './security-event.js';
import { SECURITY_EVENTS, type SecurityEventRow } from './security-events.sql.js';

/** API.md: events are kept 90 days. */
export const RETENTION_SECONDS = 90 * 24 * 3600;
export const PAGE_SIZE = 20;

export const INVALID_CURSOR = 'cursor is not one this list gave you, or its event has expired; start again without it';

export interface SecurityEventPage {
  items: (Omit<SecurityEventRow, 'id' | 'sessionId'> & { sessionId?: string })[];
  nextCursor: string | null;
}

/**
 * The one recorder of security events (`record(tx, type, context)`), called where the change
 * happens, and their one reader. Readers never rebuild history from other tables.
 */
@Injectable()
export class SecurityEvents implements BeforeApplicationShutdown {
  private readonly recorded: Counter<'type'>;
  private readonly dropped: Counter<'type'>;
  private readonly refusals: RefusalBuffer;

  constructor(
    private readonly db: Db,
    metrics: MetricsService,
  ) {
    this.recorded = new Counter({
      name: 'security_events_total',
      help: 'Security events written, by type',
      labelNames: ['type'] as const,
      registers: [metrics.registry],
    });
    this.dropped = new Counter({
      name: 'security_events_dropped_total',
      help: 'Refusal events not written: over the per-account bound of a flood, or their batch failed',
      labelNames: ['type'] as const,
      registers: [metrics.registry],
    });
    // Every type shows in /metrics from the start, at 0, so a rate() over it never starts missing.
    for (const type of SECURITY_EVENT_TYPES) this.recorded.labels(type);
    this.refusals = new RefusalBuffer(db, {
      written: (type, count) => count > 0 && this.recorded.inc({ type }, count),
      dropped: (type, count) => count > 0 && this.dropped.inc({ type }, count),
    });
  }

  /** Records the event of a change inside the change's transaction: both commit, or neither. */
  async record(tx: Tx, type: ChangeType, context: EventContext): Promise<void> {
    await this.db.run(SECURITY_EVENTS.record, [context.userId, type, context.sessionId ?? null, context.ip, context.userAgent], tx);
    tx.afterCommit(() => this.recorded.inc({ type }));
  }

  /** Records a refusal without making the request wait (batched and bounded: RefusalBuffer). */
  refused(type: RefusalType, context: EventContext): void {
    this.refusals.add(type, context);
  }

  /** Writes the refusals still waiting (shutdown, tests). */
  flush(): Promise<void> {
    return this.refusals.flush();
  }

  /** A page of the user's events, newest first; `cursor` is the `nextCursor` of the page before. */
  async page(userId: string, cursor?: string): Promise<SecurityEventPage> {
    let rows: SecurityEventRow[];
    if (cursor === undefined) {
      rows = await this.db.run(SECURITY_EVENTS.firstPage, [userId, PAGE_SIZE + 1]);
    } else {
      if (!(await this.db.one(SECURITY_EVENTS.cursor, [userId, cursor]))) throw new BadRequestException(INVALID_CURSOR);
      rows = await this.db.run(SECURITY_EVENTS.nextPage, [userId, cursor, PAGE_SIZE + 1]);
    }
    const more = rows.length > PAGE_SIZE;
    const items = rows.slice(0, PAGE_SIZE);
    return {
      // API.md: `sessionId` only where there is one.
      items: items.map(({ id: _id, sessionId, ...item }) => (sessionId ? { ...item, sessionId } : item)),
      nextCursor: more ? items[items.length - 1].id : null,
    };
  }

  /** Before the pool closes (TypeORM ends it in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }
}
