import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { KeyStore } from '../auth/tokens/key-store.js';
import { PageCursors } from '../common/page-cursor.js';
import { EventsModule } from '../events/events.module.js';
import { SmsModule } from '../notifications/sms/sms.module.js';
import { TodosController } from './todos.controller.js';
import { TodosService } from './todos.service.js';

@Module({
  imports: [SmsModule, AuthModule, EventsModule],
  controllers: [TodosController],
  providers: [
    TodosService,
    { provide: PageCursors, inject: [KeyStore], useFactory: (keys: KeyStore) => new PageCursors(keys.derive('todos-page-cursor')) },
  ],
})
export class TodosModule {}
