import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, getRepositoryToken } from '@nestjs/typeorm';
import { QueryFailedError } from 'typeorm';
import { InvalidTokenException } from '../common/all-exceptions.filter.js';
import { Sql, type Statement } from '../database/sql.js';
import { SmsChannel } from '../notifications/sms/sms.channel.js';
import { ListTodosQueryDto } from './dto/list-todos-query.dto.js';
import { Todo } from './entities/todo.entity.js';
import { TodosService } from './todos.service.js';

const USER = '11111111-1111-4111-8111-111111111111';
const TODO = '22222222-2222-4222-8222-222222222222';

function row(overrides: Record<string, unknown> = {}) {
  return {
    id: TODO,
    title: 'Write tests',
    description: null,
    completed: false,
    due_at: null,
    created_at: '2026-01-01T10:00:00.000Z',
    updated_at: '2026-01-01T10:00:00.000Z',
    ...overrides,
  };
}

function query(values: Partial<ListTodosQueryDto>): ListTodosQueryDto {
  return Object.assign(new ListTodosQueryDto(), values);
}

describe('TodosService', () => {
  let service: TodosService;
  let sql: jest.Mock<(text: string, params?: unknown[]) => Promise<unknown>>;

  beforeEach(async () => {
    sql = jest.fn();
    const moduleRef = await Test.createTestingModule({
      providers: [
        TodosService,
        { provide: getRepositoryToken(Todo), useValue: { query: sql } },
        // Only an opted-in user's todo opens a transaction and queues a text (test/sms.e2e-spec.ts).
        { provide: getDataSourceToken(), useValue: {} },
        { provide: SmsChannel, useValue: {} },
        // Named statements and TypeORM queries land on the same mock, by SQL text.
        {
          provide: Sql,
          useValue: {
            rows: (statement: Statement, values: unknown[]) => sql(statement.text, values),
            row: async (statement: Statement, values: unknown[]) => ((await sql(statement.text, values)) as unknown[])[0],
          },
        },
      ],
    }).compile();
    service = moduleRef.get(TodosService);
  });

  describe('create', () => {
    it('stores the caller as owner, fills the defaults and answers without the owner', async () => {
      sql.mockResolvedValueOnce([row()]);
      await expect(service.create(USER, { title: 'Write tests' })).resolves.toEqual({
        id: TODO,
        title: 'Write tests',
        description: null,
        completed: false,
        dueAt: null,
        createdAt: '2026-01-01T10:00:00.000Z',
        updatedAt: '2026-01-01T10:00:00.000Z',
      });
      const [text, params] = sql.mock.calls[0];
      expect(text).toMatch(/INSERT INTO todos \(user_id, title, description, completed, due_at\)/);
      expect(params).toEqual([USER, 'Write tests', null, false, null]);
    });

    it('sends the due date to Postgres as the UTC instant the client meant', async () => {
      sql.mockResolvedValueOnce([row({ due_at: '2030-01-31T16:00:00.000Z' })]);
      await expect(service.create(USER, { title: 't', dueAt: '2030-01-31T17:00:00+01:00' })).resolves.toMatchObject({
        dueAt: '2030-01-31T16:00:00.000Z',
      });
      expect(sql.mock.calls[0][1]?.[4]).toBe('2030-01-31T16:00:00.000Z');
    });

    it('answers 401 when the token’s user no longer exists', async () => {
      const violation = Object.assign(new Error('fk'), { code: '23503' });
      sql.mockRejectedValueOnce(new QueryFailedError('INSERT', [], violation));
      await expect(service.create(USER, { title: 't' })).rejects.toBeInstanceOf(InvalidTokenException);
    });

    it('lets any other database error through', async () => {
      sql.mockRejectedValueOnce(new QueryFailedError('INSERT', [], Object.assign(new Error('boom'), { code: '57014' })));
      await expect(service.create(USER, { title: 't' })).rejects.toBeInstanceOf(QueryFailedError);
    });
  });

  describe('list', () => {
    it('reads the page and the total in one statement scoped to the caller', async () => {
      sql.mockResolvedValueOnce([
        { item: '{"id":"b","title":"say \\"hi\\""}', total: '42' },
        { item: '{"id":"a","title":"x"}', total: '42' },
      ]);
      const page = JSON.parse(await service.list(USER, query({ page: 3, limit: 2 })));
      expect(page).toEqual({ items: [{ id: 'b', title: 'say "hi"' }, { id: 'a', title: 'x' }], total: 42, page: 3, limit: 2 });
      expect(sql).toHaveBeenCalledTimes(1);
      const [text, params] = sql.mock.calls[0];
      expect(text).toContain('count(*) OVER ()');
      expect(text).toContain('WHERE user_id = $1');
      expect(text).toContain('ORDER BY created_at DESC, id DESC');
      expect(text).toContain("json_build_object('id', id, 'title', title");
      expect(text).not.toContain('completed =');
      expect(params).toEqual([USER, 2, 4]);
    });

    it('filters on completed as a boolean parameter', async () => {
      sql.mockResolvedValueOnce([{ item: '{"completed":true}', total: '1' }]);
      await expect(service.list(USER, query({ completed: 'true' })).then(JSON.parse)).resolves.toEqual({
        items: [{ completed: true }],
        total: 1,
        page: 1,
        limit: 20,
      });
      const [text, params] = sql.mock.calls[0];
      expect(text).toContain('AND completed = $4');
      expect(params).toEqual([USER, 20, 0, true]);
    });

    it('answers an empty first page with a zero total and no second statement', async () => {
      sql.mockResolvedValueOnce([]);
      await expect(service.list(USER, query({ completed: 'false' })).then(JSON.parse)).resolves.toEqual({ items: [], total: 0, page: 1, limit: 20 });
      expect(sql).toHaveBeenCalledTimes(1);
    });

    it('counts separately only when the page is past the end', async () => {
      sql.mockResolvedValueOnce([]).mockResolvedValueOnce([{ total: '7' }]);
      await expect(service.list(USER, query({ page: 5, limit: 10, completed: 'false' })).then(JSON.parse)).resolves.toEqual({
        items: [],
        total: 7,
        page: 5,
        limit: 10,
      });
      expect(sql).toHaveBeenCalledTimes(2);
      const [text, params] = sql.mock.calls[1];
      expect(text).toMatch(/^SELECT count\(\*\) AS total FROM todos WHERE user_id = \$1 AND completed = \$2$/);
      expect(params).toEqual([USER, false]);
    });
  });

  describe('findOne', () => {
    it('looks the todo up by id and owner in the same statement', async () => {
      sql.mockResolvedValueOnce([row()]);
      await expect(service.findOne(USER, TODO)).resolves.toMatchObject({ id: TODO });
      const [text, params] = sql.mock.calls[0];
      expect(text).toContain('WHERE id = $1 AND user_id = $2');
      expect(params).toEqual([TODO, USER]);
    });

    it('answers 404 when no row is the caller’s', async () => {
      sql.mockResolvedValueOnce([]);
      await expect(service.findOne(USER, TODO)).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('update', () => {
    it('treats {} as a read of the caller’s todo, not a write', async () => {
      sql.mockResolvedValueOnce([row()]);
      await expect(service.update(USER, TODO, {})).resolves.toMatchObject({ id: TODO });
      expect(sql.mock.calls[0][0]).toMatch(/^SELECT /);
      expect(sql.mock.calls[0][1]).toEqual([TODO, USER]);
    });

    it('answers 404 for {} on a todo that is not the caller’s', async () => {
      sql.mockResolvedValueOnce([]);
      await expect(service.update(USER, TODO, {})).rejects.toBeInstanceOf(NotFoundException);
    });

    it('sets only the given fields, scoped to id and owner, and bumps updated_at only on a real change', async () => {
      sql.mockResolvedValueOnce([[row({ completed: true, description: null })], 1]);
      await expect(service.update(USER, TODO, { completed: true, description: null })).resolves.toMatchObject({
        completed: true,
        description: null,
      });
      const [text, params] = sql.mock.calls[0];
      expect(text).toMatch(/^UPDATE todos SET description = \$3::varchar, completed = \$4::boolean,/);
      expect(text).not.toMatch(/title =|due_at =/);
      expect(text).toContain('ROW(description, completed) IS DISTINCT FROM ROW($3::varchar, $4::boolean) THEN now()');
      expect(text).toContain('WHERE id = $1 AND user_id = $2 RETURNING');
      expect(params).toEqual([TODO, USER, null, true]);
    });

    it('clears or normalises the due date', async () => {
      sql.mockResolvedValueOnce([[row()], 1]).mockResolvedValueOnce([[row()], 1]);
      await service.update(USER, TODO, { dueAt: null });
      await service.update(USER, TODO, { dueAt: '2030-06-01T00:00:00-04:00' });
      expect(sql.mock.calls[0][1]).toEqual([TODO, USER, null]);
      expect(sql.mock.calls[1][1]).toEqual([TODO, USER, '2030-06-01T04:00:00.000Z']);
    });

    it('answers 404 when no row is the caller’s', async () => {
      sql.mockResolvedValueOnce([[], 0]);
      await expect(service.update(USER, TODO, { title: 'x' })).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('remove', () => {
    it('deletes by id and owner in one statement', async () => {
      sql.mockResolvedValueOnce([{ id: TODO }]);
      await expect(service.remove(USER, TODO)).resolves.toBeUndefined();
      const [text, params] = sql.mock.calls[0];
      expect(text).toBe('DELETE FROM todos WHERE id = $1 AND user_id = $2 RETURNING id');
      expect(params).toEqual([TODO, USER]);
    });

    it('answers 404 when nothing of the caller’s was deleted', async () => {
      sql.mockResolvedValueOnce([]);
      await expect(service.remove(USER, TODO)).rejects.toBeInstanceOf(NotFoundException);
    });
  });
});
