import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import type { TransactionalSql } from '../notifications/notification-channel.js';
import { SmsChannel } from '../notifications/sms/sms.channel.js';
import { todoCreatedText } from '../notifications/sms/sms-text.js';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { isoUtc, modifyReturning, PG_FOREIGN_KEY_VIOLATION, pgErrorCode, Sql, type Statement } from '../database/sql.js';
import type { CreateTodoDto } from './dto/create-todo.dto.js';
import type { ListTodosQueryDto } from './dto/list-todos-query.dto.js';
import type { TodoDto } from './dto/todo-response.dto.js';
import type { UpdateTodoDto } from './dto/update-todo.dto.js';
import { Todo } from './entities/todo.entity.js';

interface TodoRow {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  due_at: string | null;
  created_at: string;
  updated_at: string;
}

// Timestamps leave Postgres already in ISO-8601 UTC: parsing them into Dates and formatting them
// again was the largest single cost of a list request.
const COLUMNS = `id, title, description, completed, ${isoUtc('due_at')} AS due_at,
  ${isoUtc('created_at')} AS created_at, ${isoUtc('updated_at')} AS updated_at`;

// One statement returns the page and the total (served by the (user_id, created_at DESC, id DESC) index).
// Two fixed texts rather than `$n IS NULL OR ...`, so each gets its own plain plan.
// Postgres renders each listed todo as its JSON (the same shape as TodoDto): a page then needs no
// row parsing, no objects and no re-serialisation here, which measured as most of a list's cost.
const ITEM_JSON = `json_build_object('id', id, 'title', title, 'description', description, 'completed', completed,
  'dueAt', ${isoUtc('due_at')}, 'createdAt', ${isoUtc('created_at')}, 'updatedAt', ${isoUtc('updated_at')})::text`;
const LIST: Statement = {
  name: 'todos_list',
  text: `SELECT ${ITEM_JSON} AS item, count(*) OVER () AS total FROM todos
    WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
};
const LIST_BY_COMPLETED: Statement = {
  name: 'todos_list_by_completed',
  text: `SELECT ${ITEM_JSON} AS item, count(*) OVER () AS total FROM todos
    WHERE user_id = $1 AND completed = $4 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
};
const COUNT: Statement = { name: 'todos_count', text: `SELECT count(*) AS total FROM todos WHERE user_id = $1` };
const COUNT_BY_COMPLETED: Statement = {
  name: 'todos_count_by_completed',
  text: `SELECT count(*) AS total FROM todos WHERE user_id = $1 AND completed = $2`,
};

/**
 * Most users get no text message, and for them creating a todo stays one statement: it inserts
 * only if the user has not opted in (the same snapshot reads both). No row back means the user
 * wants a text (or is gone: then INSERT_WITH_SMS fails on the foreign key).
 */
const INSERT_UNLESS_SMS: Statement = {
  name: 'todos_insert_unless_sms',
  text: `WITH texted AS (SELECT 1 FROM users WHERE id = $1::uuid AND sms_notifications)
    INSERT INTO todos (user_id, title, description, completed, due_at)
    SELECT $1::uuid, $2::varchar, $3::varchar, $4::boolean, $5::timestamptz WHERE NOT EXISTS (SELECT 1 FROM texted)
    RETURNING ${COLUMNS}`,
};
/** Inside the transaction that queues the text: the todo, and the number to text if the user (still) wants one. */
const INSERT_WITH_SMS = `WITH todo AS (
    INSERT INTO todos (user_id, title, description, completed, due_at)
    VALUES ($1, $2, $3, $4, $5::timestamptz) RETURNING user_id, ${COLUMNS})
  SELECT todo.*, users.phone_number AS sms_to FROM todo LEFT JOIN users ON users.id = todo.user_id AND users.sms_notifications`;
// Ownership is part of every statement: another user's todo and an unknown one both match no row.
const FIND: Statement = { name: 'todos_find', text: `SELECT ${COLUMNS} FROM todos WHERE id = $1 AND user_id = $2` };
const DELETE: Statement = { name: 'todos_delete', text: `DELETE FROM todos WHERE id = $1 AND user_id = $2 RETURNING id` };

/** The patchable fields, their columns and parameter types: the only identifiers an UPDATE is built from. */
const PATCHABLE = [
  ['title', 'title', 'varchar'],
  ['description', 'description', 'varchar'],
  ['completed', 'completed', 'boolean'],
  ['dueAt', 'due_at', 'timestamptz'],
] as const satisfies ReadonlyArray<readonly [keyof UpdateTodoDto, string, string]>;

@Injectable()
export class TodosService {
  constructor(
    @InjectRepository(Todo) private readonly todos: Repository<Todo>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sql: Sql,
    private readonly sms: SmsChannel,
  ) {}

  /**
   * API.md, Notifications: the text message is queued in the transaction that inserts the todo, so
   * there is never one without the other; the provider is called later, by a worker.
   */
  async create(userId: string, dto: CreateTodoDto): Promise<TodoDto> {
    const params = [userId, dto.title, dto.description ?? null, dto.completed ?? false, toTimestamp(dto.dueAt)];
    try {
      const [row] = await this.sql.rows<TodoRow>(INSERT_UNLESS_SMS, params);
      if (row) return toDto(row);
      return await this.dataSource.transaction(async (manager) => {
        const tx: TransactionalSql = { query: async (text, values) => ({ rows: await manager.query(text, values) }) };
        const [todo] = (await tx.query(INSERT_WITH_SMS, params)).rows as (TodoRow & { sms_to: string | null })[];
        if (todo.sms_to) await this.sms.enqueue(tx, { to: todo.sms_to, text: todoCreatedText(todo.title) });
        return toDto(todo);
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
    const rows = await this.sql.rows<{ item: string; total: string }>(
      completed === undefined ? LIST : LIST_BY_COMPLETED,
      completed === undefined ? [userId, limit, offset] : [userId, limit, offset, completed],
    );
    let total: number;
    if (rows.length > 0) {
      total = Number(rows[0].total);
    } else if (offset === 0) {
      total = 0;
    } else {
      // Past the last page the window has no row to ride on; only then is a second statement needed.
      const [count] = await this.sql.rows<{ total: string }>(
        completed === undefined ? COUNT : COUNT_BY_COMPLETED,
        completed === undefined ? [userId] : [userId, completed],
      );
      total = Number(count.total);
    }
    return `{"items":[${rows.map((row) => row.item).join(',')}],"total":${total},"page":${page},"limit":${limit}}`;
  }

  async findOne(userId: string, id: string): Promise<TodoDto> {
    const row = await this.sql.row<TodoRow>(FIND, [id, userId]);
    if (!row) throw new NotFoundException('Todo not found');
    return toDto(row);
  }

  async update(userId: string, id: string, dto: UpdateTodoDto): Promise<TodoDto> {
    const params: unknown[] = [id, userId];
    const columns: string[] = [];
    const values: string[] = [];
    for (const [field, column, type] of PATCHABLE) {
      const value = dto[field];
      if (value === undefined) continue;
      params.push(field === 'dueAt' ? toTimestamp(value as string | null) : value);
      columns.push(column);
      values.push(`$${params.length}::${type}`);
    }
    if (columns.length === 0) return this.findOne(userId, id);

    // updated_at moves only when a value really changes; the old values are what the SET expressions see.
    const sql = `UPDATE todos SET ${columns.map((column, i) => `${column} = ${values[i]}`).join(', ')},
      updated_at = CASE WHEN ROW(${columns.join(', ')}) IS DISTINCT FROM ROW(${values.join(', ')}) THEN now() ELSE updated_at END
      WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`;
    const [row] = await modifyReturning<TodoRow>(this.todos, sql, params);
    if (!row) throw new NotFoundException('Todo not found');
    return toDto(row);
  }

  async remove(userId: string, id: string): Promise<void> {
    const deleted = await this.sql.rows<{ id: string }>(DELETE, [id, userId]);
    if (deleted.length === 0) throw new NotFoundException('Todo not found');
  }
}

/** Validated RFC 3339 in, UTC ISO out: Postgres parses exactly what JavaScript understood. */
function toTimestamp(value: string | null | undefined): string | null {
  return value == null ? null : new Date(value).toISOString();
}

function toDto(row: TodoRow): TodoDto {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    completed: row.completed,
    dueAt: row.due_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
