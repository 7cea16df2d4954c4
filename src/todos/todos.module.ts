import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SmsModule } from '../notifications/sms/sms.module.js';
import { Todo } from './entities/todo.entity.js';
import { TodosController } from './todos.controller.js';
import { TodosService } from './todos.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Todo]), SmsModule],
  controllers: [TodosController],
  providers: [TodosService],
})
export class TodosModule {}
