import { Module } from '@nestjs/common';
import { MailModule } from '../notifications/mail/mail.module.js';
import { SecurityEvents } from './security-events.js';
import { SecurityEventsController } from './security-events.controller.js';
import { SignIns } from './sign-ins.js';

/** Security events: the recorder features call where they change something, the user's list; the retention job (src/retention) deletes them after 90 days. */
@Module({
  imports: [MailModule],
  controllers: [SecurityEventsController],
  providers: [SecurityEvents, SignIns],
  exports: [SecurityEvents, SignIns],
})
export class EventsModule {}
