import { Global, Module } from '@nestjs/common';
import { NotificationQueue } from './notification-queue.js';

/** Owns the queue and its workers; channels register with it, feature services enqueue into it. */
@Global()
@Module({
  providers: [NotificationQueue],
  exports: [NotificationQueue],
})
export class NotificationsModule {}
