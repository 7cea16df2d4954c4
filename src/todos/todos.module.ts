import { Module } from '@nestjs/common';
import { SmsModule } from '../notifications/sms/sms.module.js';
import { TodosController } from './todos.controller.js';
import { TodosService } from './todos.service.js';

@Module({
  imports: [SmsModule],
  controllers: [TodosController],
  providers: [TodosService],
})
export class TodosModule {}
