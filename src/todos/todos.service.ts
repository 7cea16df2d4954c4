import { Injectable, NotFoundException } from '@nestjs/common';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { Limits } from '../common/rate-limit/limits.service.js';
import { Db } from '../database/db.js';
import { PG_FOREIGN_KEY_VIOLATION, pgErrorCode } from '../database/sql.js';
import { SmsAllowance } from '../notifications/sms/sms-allowance.js';
import { SmsChannel } from '../notifications/sms/sms.channel.js';
import { todoCreatedText } from '../notifications/sms/sms-text.js';
import type { CreateTodoDto } from './dto/create-todo.dto.js';
import type { ListTodosQueryDto } from './dto/list-todos-query.dto.js';
import type { TodoDto } from './dto/todo-response.dto.js';
import type { UpdateTodoDto } from './dto/update-todo.dto.js';
import { USERS } from '../users/users.sql.js';
import { type InsertParams, PATCHABLE_FIELDS, TODOS } from './todos.sql.js';

@Injectable()
export class TodosService {
  constructor(
    private readonly db: Db,
    private readonly sms: SmsChannel,
    private readonly smsAllowance: SmsAllowance,
    private readonly limits: Limits,
  ) {}

  /**
   * API.md, Notifications: an opted-in user's text is queued in the transaction that inserts the
   * todo, so there is never one without the other; a worker calls the provider later. Abuse
   * limits: TODO_RATE_LIMIT creations per user per minute (429); past the daily SMS caps the todo
   * is created without a text, and the profile's smsSuppressedUntil says until when.
   */
  async create(userId: string, dto: CreateTodoDto): Promise<TodoDto> {
    await this.limits.consume('todos-per-user', userId);
    const params: InsertParams = [
      userId,
      dto.title,
      dto.description ?? null,
      dto.completed ?? false,
      toTimestamp(dto.dueAt),
    ];
    try {
      const [todo] = await this.db.run(TODOS.insertUnlessSms, params);
      if (todo) return todo;
      // The text is taken from the daily caps before the transaction: the counters may need a
      // pooled connection, which a transaction must never wait for while holding its own.
      const texted = await this.db.one(USERS.textedNumber, [userId]);
      const allowance = texted ? await this.smsAllowance.take(userId, texted.phoneNumber) : undefined;
      return await this.db.transaction(async (tx) => {
        const [{ smsTo, ...created }] = await this.db.run(TODOS.insertWithSms, params, tx);
        // The number changed in between: its allowance was not taken, so no text this time.
        if (!smsTo || !allowance || smsTo !== texted?.phoneNumber) return created;
        if (allowance.allowed) await this.sms.enqueue(tx, { to: smsTo, text: todoCreatedText(created.title) });
        else await this.db.run(USERS.suppressSms, [userId, allowance.retryAfterSeconds], tx);
        return created;
      });
    } catch (error) {
      // The user was deleted after the guard let this token through: it no longer speaks for anyone.
      if (pgErrorCode(error) === PG_FOREIGN_KEY_VIOLATION) {
        throw new InvalidTokenException();
      }
      throw error;
    }
  }

  /** The page as its JSON document, shaped as TodoPageDto. */
  async list(userId: string, query: ListTodosQueryDto): Promise<string> {
    const { page, limit } = query;
    const offset = (page - 1) * limit;
    const completed = query.completed === undefined ? undefined : query.completed === 'true';
    const rows =
      completed === undefined
        ? await this.db.run(TODOS.list, [userId, limit, offset])
        : await this.db.run(TODOS.listByCompleted, [userId, limit, offset, completed]);
    let total: number;
    if (rows.length > 0) {
      total = Number(rows[0].total);
    } else if (offset === 0) {
      total = 0;
    } else {
      // Past the last page the window has no row to ride on; only then is a second statement needed.
      const [count] =
        completed === undefined
          ? await this.db.run(TODOS.count, [userId])
          : await this.db.run(TODOS.countByCompleted, [userId, completed]);
      total = Number(count.total);
    }
    return `{"items":[${rows.map((row) => row.item).join(',')}],"total":${total},"page":${page},"limit":${limit}}`;
  }

  async findOne(userId: string, id: string): Promise<TodoDto> {
    const todo = await this.db.one(TODOS.find, [id, userId]);
    if (!todo) throw new NotFoundException('Todo not found');
    return todo;
  }

  async update(userId: string, id: string, dto: UpdateTodoDto): Promise<TodoDto> {
    const fields = PATCHABLE_FIELDS.filter((field) => dto[field] !== undefined);
    if (fields.length === 0) return this.findOne(userId, id);
    const values = fields.map((field) => (field === 'dueAt' ? toTimestamp(dto.dueAt) : dto[field]));
    const todo = await this.db.one(TODOS.update(fields), [id, userId, ...values]);
    if (!todo) throw new NotFoundException('Todo not found');
    return todo;
  }

  async remove(userId: string, id: string): Promise<void> {
    const deleted = await this.db.run(TODOS.delete, [id, userId]);
    if (deleted.length === 0) throw new NotFoundException('Todo not found');
  }
}

/** Validated RFC 3339 in, UTC ISO out: Postgres parses exactly what JavaScript understood. */
function toTimestamp(value: string | null | undefined): string | null {
  return value == null ? null : new Date(value).toISOString();
}
