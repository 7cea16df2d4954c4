import { Module } from '@nestjs/common';
import { MailModule } from '../notifications/mail/mail.module.js';
import { SecurityEvents } from './security-events.js';
import { SecurityEventsController } from './security-events.controller.js';
import { SecurityEventsRetention } from './security-events-retention.js';
import { SignIns } from './sign-ins.js';

/** Security events: the recorder features call where they change something, the user's list, the purge. */
@Module({
  imports: [MailModule],
  controllers: [SecurityEventsController],
  providers: [SecurityEvents, SignIns, SecurityEventsRetention],
  exports: [SecurityEvents, SignIns],
})
export class EventsModule {}
