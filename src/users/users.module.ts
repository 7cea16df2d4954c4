import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module.js';
import { SmsModule } from '../notifications/sms/sms.module.js';
import { PhoneVerification } from './phone/phone-verification.service.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [SmsModule, EventsModule],
  controllers: [UsersController],
  providers: [UsersService, PhoneVerification],
})
export class UsersModule {}
