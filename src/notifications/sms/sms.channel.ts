import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Tx } from '../../database/db.js';
import type { NotificationChannel } from '../notification-channel.js';
import { NotificationQueue } from '../notification-queue.js';
import { SMS_PROVIDER, type SmsProvider } from './sms-provider.js';

/** What the queue holds for one text message: written when it is queued, sent as is. */
export interface SmsJob {
  /** E.164, with its `+`. */
  to: string;
  text: string;
}

/** The `sms` channel: hands each queued message to the configured provider. */
@Injectable()
export class SmsChannel implements NotificationChannel<SmsJob>, OnModuleInit {
  readonly name = 'sms';

  constructor(
    private readonly queue: NotificationQueue,
    @Inject(SMS_PROVIDER) private readonly provider: SmsProvider,
  ) {}

  onModuleInit(): void {
    this.queue.register(this);
  }

  /** Queues a text message inside the caller's transaction; returns the queue entry's id. */
  enqueue(tx: Tx, sms: SmsJob): Promise<string> {
    return this.queue.enqueue(tx, this.name, sms);
  }

  deliver(sms: SmsJob, attempt: { id: string; signal: AbortSignal }): Promise<void> {
    return this.provider.send({ id: attempt.id, to: sms.to, text: sms.text }, attempt.signal);
  }
}
