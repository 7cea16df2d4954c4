import { exactUtc, isoUtc, statement, type Statement } from '../database/sql.js';
import type { TodoDto } from './dto/todo-response.dto.js';
import type { UpdateTodoDto } from './dto/update-todo.dto.js';

// Rows come back in TodoDto's shape with timestamps already ISO-8601 UTC: parsing them into Dates
// and formatting them again was the largest single cost of a list request.
const TODO = `id, title, description, completed, ${isoUtc('due_at')} AS "dueAt",
  ${isoUtc('created_at')} AS "createdAt", ${isoUtc('updated_at')} AS "updatedAt"`;

// Issue 26: the database filters, orders and counts; the service shapes the JSON (json_build_object
// spent CPU on the one part that does not scale out). `at` is created_at to the microsecond (as
// Postgres prints it: exactUtcText makes it ISO), the position a cursor resumes after: the
// millisecond createdAt would skip or repeat todos sharing one.
const LISTED = `${TODO}, ${exactUtc('created_at')} AS at`;

/** One listed todo and its exact position. */
export type ListedTodo = TodoDto & { at: string };

/** A numbered page's row: the count of all that match rides on every row. */
export type TodoPageRow = ListedTodo & { total: string };

/** The position before every todo: a cursor page that starts from the newest. */
export const NEWEST: readonly [at: string, id: string] = ['infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];

/** The fields a PATCH may set: their columns and parameter types are the only identifiers an UPDATE is built from. */
const PATCHABLE = {
  title: ['title', 'varchar'],
  description: ['description', 'varchar'],
  completed: ['completed', 'boolean'],
  dueAt: ['due_at', 'timestamptz'],
} as const satisfies Record<keyof UpdateTodoDto, readonly [column: string, type: string]>;
export type PatchableField = keyof typeof PATCHABLE;
export const PATCHABLE_FIELDS = Object.keys(PATCHABLE) as PatchableField[];

type UpdateParams = [id: string, userId: string, ...values: unknown[]];
const updates = new Map<string, Statement<TodoDto, UpdateParams>>();

/**
 * Sets exactly `fields` ($3, $4, ... in that order) on todo $1 of user $2. Each set of fields is its
 * own named statement, built once (fifteen at most). updated_at moves only when a value really
 * changes; the SET expressions see the old values.
 */
function update(fields: readonly PatchableField[]): Statement<TodoDto, UpdateParams> {
  const name = `todos_update(${fields.join(',')})`;
  let found = updates.get(name);
  if (!found) {
    const columns = fields.map((field) => PATCHABLE[field][0]);
    const values = fields.map((field, i) => `$${i + 3}::${PATCHABLE[field][1]}`);
    found = statement(
      name,
      `UPDATE todos SET ${columns.map((column, i) => `${column} = ${values[i]}`).join(', ')},
        updated_at = CASE WHEN ROW(${columns.join(', ')}) IS DISTINCT FROM ROW(${values.join(', ')}) THEN now() ELSE updated_at END
        WHERE id = $1 AND user_id = $2 RETURNING ${TODO}`,
    );
    updates.set(name, found);
  }
  return found;
}

/**
 * Who gets a text for a new todo: opted in, with a proved number and a proved address (API.md,
 * Abuse limits). The constraints already tie opting in to a proved number; this says it again where it matters.
 */
const texted = (users: string) =>
  `${users}.sms_notifications AND ${users}.phone_verified_at IS NOT NULL AND ${users}.email_verified_at IS NOT NULL`;

export type InsertParams = [userId: string, title: string, description: string | null, completed: boolean, dueAt: string | null];

/** Every statement on the `todos` table. Ownership is part of each: another user's todo matches no row. */
export const TODOS = {
  /**
   * Most users get no text message, and for them creating a todo stays one statement: it inserts
   * only if the user has not opted in (one snapshot reads both). No row back means the user wants a
   * text (or is gone: insertWithSms then fails on the foreign key).
   */
  insertUnlessSms: statement<TodoDto, InsertParams>(
    'todos_insert_unless_sms',
    `WITH texted AS (SELECT 1 FROM users WHERE id = $1::uuid AND ${texted('users')})
      INSERT INTO todos (user_id, title, description, completed, due_at)
      SELECT $1::uuid, $2::varchar, $3::varchar, $4::boolean, $5::timestamptz WHERE NOT EXISTS (SELECT 1 FROM texted)
      RETURNING ${TODO}`,
  ),
  /** In the transaction that queues the text: the todo, and the number to text if the user (still) wants one. */
  insertWithSms: statement<TodoDto & { smsTo: string | null }, InsertParams>(
    'todos_insert_with_sms',
    `WITH todo AS (
        INSERT INTO todos (user_id, title, description, completed, due_at)
        VALUES ($1, $2, $3, $4, $5::timestamptz) RETURNING user_id, ${TODO})
      SELECT todo.id, todo.title, todo.description, todo.completed, todo."dueAt", todo."createdAt", todo."updatedAt",
        users.phone_number AS "smsTo"
      FROM todo LEFT JOIN users ON users.id = todo.user_id AND ${texted('users')}`,
  ),
  find: statement<TodoDto, [id: string, userId: string]>('todos_find', `SELECT ${TODO} FROM todos WHERE id = $1 AND user_id = $2`),
  update,
  delete: statement<{ id: string }, [id: string, userId: string]>(
    'todos_delete',
    'DELETE FROM todos WHERE id = $1 AND user_id = $2 RETURNING id',
  ),

  // A page and the total in one statement, served by the (user_id, created_at DESC, id DESC) index.
  // Two fixed texts rather than `$n IS NULL OR ...`, so each gets its own plain plan.
  list: statement<TodoPageRow, [userId: string, limit: number, offset: number]>(
    'todos_list',
    `SELECT ${LISTED}, count(*) OVER () AS total FROM todos
      WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
  ),
  listByCompleted: statement<TodoPageRow, [userId: string, limit: number, offset: number, completed: boolean]>(
    'todos_list_by_completed',
    `SELECT ${LISTED}, count(*) OVER () AS total FROM todos
      WHERE user_id = $1 AND completed = $4 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
  ),
  // Keyset pages: the index descends straight to the position after ($2, $3), so the 5,000th page
  // reads as few rows as the first. The row comparison matches the index's order exactly.
  listAfter: statement<ListedTodo, [userId: string, at: string, id: string, limit: number]>(
    'todos_list_after',
    `SELECT ${LISTED} FROM todos
      WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid)
      ORDER BY created_at DESC, id DESC LIMIT $4`,
  ),
  listAfterByCompleted: statement<ListedTodo, [userId: string, at: string, id: string, limit: number, completed: boolean]>(
    'todos_list_after_by_completed',
    `SELECT ${LISTED} FROM todos
      WHERE user_id = $1 AND (created_at, id) < ($2::timestamptz, $3::uuid) AND completed = $5
      ORDER BY created_at DESC, id DESC LIMIT $4`,
  ),
  count: statement<{ total: string }, [userId: string]>('todos_count', 'SELECT count(*) AS total FROM todos WHERE user_id = $1'),
  countByCompleted: statement<{ total: string }, [userId: string, completed: boolean]>(
    'todos_count_by_completed',
    'SELECT count(*) AS total FROM todos WHERE user_id = $1 AND completed = $2',
  ),
};
