import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InvalidTokenException } from '../auth/invalid-token.exception.js';
import { PageCursors } from '../common/page-cursor.js';
import { Limits } from '../common/rate-limit/limits.service.js';
import { Db } from '../database/db.js';
import { exactUtcText, PG_FOREIGN_KEY_VIOLATION, rethrowAs } from '../database/sql.js';
import { SmsAllowance } from '../notifications/sms/sms-allowance.js';
import { SmsChannel } from '../notifications/sms/sms.channel.js';
import { todoCreatedText } from './todo-text.js';
import type { CreateTodoDto } from './dto/create-todo.dto.js';
import type { ListTodosQueryDto } from './dto/list-todos-query.dto.js';
import type { TodoDto } from './dto/todo-response.dto.js';
import type { UpdateTodoDto } from './dto/update-todo.dto.js';
import { type InsertParams, type ListedTodo, NEWEST, PATCHABLE_FIELDS, TODOS } from './todos.sql.js';
import { SecurityEvents } from '../events/security-events.js';
import { USERS } from '../users/users.sql.js';

@Injectable()
export class TodosService {
  constructor(
    private readonly db: Db,
    private readonly sms: SmsChannel,
    private readonly cursors: PageCursors,
    private readonly smsAllowance: SmsAllowance,
    private readonly limits: Limits,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * API.md, Notifications: an opted-in user's text is queued in the transaction that inserts the
   * todo, so there is never one without the other; a worker calls the provider later. Abuse
   * limits: TODO_RATE_LIMIT creations per user per minute (429); past the daily SMS caps the todo
   * is created without a text, and the profile's smsSuppressedUntil says until when.
   */
  async create(userId: string, dto: CreateTodoDto): Promise<TodoDto> {
    await this.limits.consume('todos-per-user', userId);
    const params: InsertParams = [userId, dto.title, dto.description ?? null, dto.completed ?? false, toTimestamp(dto.dueAt)];
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
        else {
          await this.db.run(USERS.suppressSms, [userId, allowance.retryAfterSeconds], tx);
          // The owner sees that the cap held a text back (bounded per account, never blocking the answer).
          this.events.refused('sms_suppressed', { userId, ip: null, userAgent: null });
        }
        return created;
      });
    } catch (error) {
      // The user was deleted after the guard let this token through: it no longer speaks for anyone.
      rethrowAs(error, { [PG_FOREIGN_KEY_VIOLATION]: () => new InvalidTokenException() });
    }
  }

  /** The page as its JSON document: TodoCursorPageDto with `cursor`, TodoPageDto without. */
  async list(userId: string, query: ListTodosQueryDto): Promise<string> {
    const completed = query.completed === undefined ? undefined : query.completed === 'true';
    if (query.cursor !== undefined) {
      if (query.page !== undefined) throw new BadRequestException('page and cursor cannot be combined: follow nextCursor alone');
      return this.listAfter(userId, query.cursor, query.limit, completed);
    }
    const page = query.page ?? 1;
    const { limit } = query;
    const offset = (page - 1) * limit;
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
        completed === undefined ? await this.db.run(TODOS.count, [userId]) : await this.db.run(TODOS.countByCompleted, [userId, completed]);
      total = Number(count.total);
    }
    const nextCursor = offset + rows.length < total ? this.cursorAfter(userId, rows.at(-1)!, completed) : null;
    return JSON.stringify({ items: rows.map(shown), total, page, limit, nextCursor });
  }

  /** One page after the cursor's position (the newest for an empty cursor), without a count. */
  private async listAfter(userId: string, cursor: string, limit: number, completed: boolean | undefined): Promise<string> {
    const [at, id] = cursor === '' ? NEWEST : this.positionOf(userId, cursor, completed);
    // One row more than the page says whether another page follows, without counting.
    const rows =
      completed === undefined
        ? await this.db.run(TODOS.listAfter, [userId, at, id, limit + 1])
        : await this.db.run(TODOS.listAfterByCompleted, [userId, at, id, limit + 1, completed]);
    const items = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? this.cursorAfter(userId, items.at(-1)!, completed) : null;
    return JSON.stringify({ items: items.map(shown), nextCursor, limit });
  }

  private cursorAfter(userId: string, last: ListedTodo, completed: boolean | undefined): string {
    return this.cursors.seal(userId, [filterOf(completed), exactUtcText(last.at), last.id]);
  }

  /** A tampered cursor and another user's get the same answer: nothing tells them apart. */
  private positionOf(userId: string, cursor: string, completed: boolean | undefined): readonly [at: string, id: string] {
    const fields = this.cursors.open(userId, cursor);
    if (!fields || fields.length !== 3 || !AT.test(fields[1]) || !UUID.test(fields[2])) {
      throw new BadRequestException('cursor is not a nextCursor issued to you: start again without it');
    }
    if (fields[0] !== filterOf(completed)) {
      throw new BadRequestException('cursor was issued for another completed filter: repeat that filter with it');
    }
    return [fields[1], fields[2]];
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

const AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function filterOf(completed: boolean | undefined): string {
  return completed === undefined ? 'all' : completed ? 'completed' : 'open';
}

/** A listed row as the API shows it: TodoDto's fields in TodoDto's order, nothing else. */
function shown({ id, title, description, completed, dueAt, createdAt, updatedAt }: ListedTodo): TodoDto {
  return { id, title, description, completed, dueAt, createdAt, updatedAt };
}

/** Validated RFC 3339 in, UTC ISO out: Postgres parses exactly what JavaScript understood. */
function toTimestamp(value: string | null | undefined): string | null {
  return value == null ? null : new Date(value).toISOString();
}
