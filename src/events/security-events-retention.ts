import { Injectable, type OnModuleInit } from '@nestjs/common';
import { NotificationQueue } from '../notifications/notification-queue.js';
import { SecurityEvents } from './security-events.js';

export const PURGE_QUEUE = 'security-events-purge';
/** Daily at 03:17 UTC: off the hour, when other schedules crowd. */
export const PURGE_CRON = '17 3 * * *';

/**
 * API.md: events are kept 90 days. Its own pg-boss schedule until the retention job of the
 * data-growth issue (26) takes this table over: then this class goes and that job calls
 * SecurityEvents.purge().
 */
@Injectable()
export class SecurityEventsRetention implements OnModuleInit {
  constructor(
    private readonly queue: NotificationQueue,
    private readonly events: SecurityEvents,
  ) {}

  onModuleInit(): void {
    this.queue.schedule(PURGE_QUEUE, PURGE_CRON, async () => {
      await this.events.purge();
    });
  }
}
