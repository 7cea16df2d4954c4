import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PageCursors } from '../common/page-cursor.js';
import { Test } from '@nestjs/testing';
import { InvalidTokenException } from '../auth/invalid-token.exception.js';
import { Db } from '../database/db.js';
import type { Statement } from '../database/sql.js';
import { ListTodosQueryDto } from './dto/list-todos-query.dto.js';
import type { TodoDto } from './dto/todo-response.dto.js';
import { Limits } from '../common/rate-limit/limits.service.js';
import { SmsAllowance, type SmsAllowanceOutcome } from '../notifications/sms/sms-allowance.js';
import { SmsChannel } from '../notifications/sms/sms.channel.js';
import { USERS } from '../users/users.sql.js';
import { TodosService } from './todos.service.js';
import { SecurityEvents } from '../events/security-events.js';
import { TODOS } from './todos.sql.js';

// What each statement does to the table is the e2e suite's business (test/todos.e2e-spec.ts);
// these cover what the service decides: which statement, with which values, and what it answers.

const USER = '11111111-1111-4111-8111-111111111111';
const TODO = '22222222-2222-4222-8222-222222222222';

function todo(overrides: Partial<TodoDto> = {}): TodoDto {
  return {
    id: TODO,
    title: 'Write tests',
    description: null,
    completed: false,
    dueAt: null,
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:00:00.000Z',
    ...overrides,
  };
}

function query(values: Partial<ListTodosQueryDto>): ListTodosQueryDto {
  return Object.assign(new ListTodosQueryDto(), values);
}

describe('TodosService', () => {
  let service: TodosService;
  let run: jest.Mock<(statement: Statement, params: unknown[], tx?: unknown) => Promise<unknown[]>>;
  let enqueue: jest.Mock<(tx: unknown, sms: { to: string; text: string }) => Promise<string>>;
  let transactions: number;
  const cursors = new PageCursors(randomBytes(32));
  let consume: jest.Mock<(name: string, key: string) => Promise<void>>;
  let refused: jest.Mock<(type: string, context: object) => void>;
  let take: jest.Mock<(userId: string, number: string) => Promise<SmsAllowanceOutcome>>;
  const TX = { afterCommit: () => undefined };

  beforeEach(async () => {
    run = jest.fn();
    consume = jest.fn(async () => undefined);
    refused = jest.fn(() => undefined);
    take = jest.fn(async () => ({ allowed: true as const }));
    enqueue = jest.fn(async () => 'job-id');
    transactions = 0;
    const db = {
      run,
      one: async (statement: Statement, params: unknown[]) => (await run(statement, params))[0],
      transaction: async (work: (tx: unknown) => Promise<unknown>) => {
        transactions++;
        return work(TX);
      },
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        TodosService,
        { provide: Db, useValue: db },
        { provide: SmsChannel, useValue: { enqueue } },
        { provide: PageCursors, useValue: cursors },
        { provide: SmsAllowance, useValue: { take } },
        { provide: Limits, useValue: { consume } },
        { provide: SecurityEvents, useValue: { refused } },
      ],
    }).compile();
    service = moduleRef.get(TodosService);
  });

  describe('create', () => {
    it('stores the caller as owner with the defaults filled, and answers the stored todo', async () => {
      run.mockResolvedValueOnce([todo()]);
      await expect(service.create(USER, { title: 'Write tests' })).resolves.toEqual(todo());
      expect(run).toHaveBeenCalledWith(TODOS.insertUnlessSms, [USER, 'Write tests', null, false, null]);
      expect(transactions).toBe(0);
      expect(enqueue).not.toHaveBeenCalled();
    });

    it('queues the text in the same transaction as the insert when the user wants one', async () => {
      run
        .mockResolvedValueOnce([])
        .mockResolvedValueOnce([{ phoneNumber: '+14155550100' }])
        .mockResolvedValueOnce([{ ...todo(), smsTo: '+14155550100' }]);
      await expect(service.create(USER, { title: 'Write tests' })).resolves.toEqual(todo());
      expect(run).toHaveBeenLastCalledWith(TODOS.insertWithSms, [USER, 'Write tests', null, false, null], TX);
      expect(enqueue).toHaveBeenCalledWith(TX, { to: '+14155550100', text: 'New todo: Write tests' });
      expect(transactions).toBe(1);
    });

    it('counts every creation against the per-user limit before touching the database', async () => {
      consume.mockRejectedValueOnce(new Error('429'));
      await expect(service.create(USER, { title: 't' })).rejects.toThrow('429');
      expect(consume).toHaveBeenCalledWith('todos-per-user', USER);
      expect(run).not.toHaveBeenCalled();
    });

    it('creates the todo without a text past the daily SMS cap, and records until when texts are held back', async () => {
      run
        .mockResolvedValueOnce([])
        .mockResolvedValueOnce([{ phoneNumber: '+14155550100' }])
        .mockResolvedValueOnce([{ ...todo(), smsTo: '+14155550100' }])
        .mockResolvedValueOnce([]);
      take.mockResolvedValueOnce({ allowed: false, limit: 'sms-per-number-daily', retryAfterSeconds: 3600 });
      await expect(service.create(USER, { title: 'Write tests' })).resolves.toEqual(todo());
      expect(take).toHaveBeenCalledWith(USER, '+14155550100');
      expect(enqueue).not.toHaveBeenCalled();
      expect(run).toHaveBeenLastCalledWith(USERS.suppressSms, [USER, 3600], TX);
      expect(refused).toHaveBeenCalledWith('sms_suppressed', { userId: USER, ip: null, userAgent: null });
    });

    it('queues nothing when the user opted out between the two statements', async () => {
      run
        .mockResolvedValueOnce([])
        .mockResolvedValueOnce([{ phoneNumber: '+14155550100' }])
        .mockResolvedValueOnce([{ ...todo(), smsTo: null }]);
      await expect(service.create(USER, { title: 'Write tests' })).resolves.toEqual(todo());
      expect(enqueue).not.toHaveBeenCalled();
    });

    it('fails the todo when its text cannot be queued (the transaction rolls both back)', async () => {
      run
        .mockResolvedValueOnce([])
        .mockResolvedValueOnce([{ phoneNumber: '+14155550100' }])
        .mockResolvedValueOnce([{ ...todo(), smsTo: '+14155550100' }]);
      enqueue.mockRejectedValueOnce(new Error('queue down'));
      await expect(service.create(USER, { title: 'Write tests' })).rejects.toThrow('queue down');
    });

    it('sends the due date to Postgres as the UTC instant the client meant', async () => {
      run.mockResolvedValueOnce([todo({ dueAt: '2030-01-31T16:00:00.000Z' })]);
      await service.create(USER, { title: 't', dueAt: '2030-01-31T17:00:00+01:00' });
      expect(run.mock.calls[0][1][4]).toBe('2030-01-31T16:00:00.000Z');
    });

    it('answers 401 when the token’s user no longer exists', async () => {
      run.mockRejectedValueOnce(Object.assign(new Error('fk'), { code: '23503' }));
      await expect(service.create(USER, { title: 't' })).rejects.toBeInstanceOf(InvalidTokenException);
    });

    it('lets any other database error through', async () => {
      const boom = Object.assign(new Error('boom'), { code: '57014' });
      run.mockRejectedValueOnce(boom);
      await expect(service.create(USER, { title: 't' })).rejects.toBe(boom);
    });
  });

  describe('list', () => {
    // A row's `at` as Postgres prints it (`2026-01-01 10:00:00.000001`); the cursor carries it as ISO-8601.
    const listed = (id: string, title: string, at: string) => ({
      ...todo({ id, title }),
      at: at.replace('T', ' ').slice(0, -1),
      total: '42',
    });
    const A = '2026-01-01T10:00:00.000001Z';
    const B = '2026-01-01T10:00:00.000002Z';

    it('shapes the page from plain rows, the total and a cursor to the next page, in one statement', async () => {
      run.mockResolvedValueOnce([listed(TODO, 'say "hi"', B), listed(USER, 'x', A)]);
      const page = JSON.parse(await service.list(USER, query({ page: 3, limit: 2 })));
      expect(page).toEqual({
        items: [todo({ id: TODO, title: 'say "hi"' }), todo({ id: USER, title: 'x' })],
        total: 42,
        page: 3,
        limit: 2,
        nextCursor: cursors.seal(USER, ['all', A, USER]),
      });
      expect(run).toHaveBeenCalledTimes(1);
      expect(run).toHaveBeenCalledWith(TODOS.list, [USER, 2, 4]);
    });

    it('filters on completed as a boolean; the last page has no next cursor', async () => {
      run.mockResolvedValueOnce([{ ...listed(TODO, 't', A), completed: true, total: '1' }]);
      await expect(service.list(USER, query({ completed: 'true' })).then(JSON.parse)).resolves.toEqual({
        items: [todo({ completed: true, title: 't' })],
        total: 1,
        page: 1,
        limit: 20,
        nextCursor: null,
      });
      expect(run).toHaveBeenCalledWith(TODOS.listByCompleted, [USER, 20, 0, true]);
    });

    it('answers an empty first page with a zero total and no second statement', async () => {
      run.mockResolvedValueOnce([]);
      await expect(service.list(USER, query({ completed: 'false' })).then(JSON.parse)).resolves.toEqual({
        items: [],
        total: 0,
        page: 1,
        limit: 20,
        nextCursor: null,
      });
      expect(run).toHaveBeenCalledTimes(1);
    });

    it('counts separately only when the page is past the end', async () => {
      run.mockResolvedValueOnce([]).mockResolvedValueOnce([{ total: '7' }]);
      await expect(service.list(USER, query({ page: 5, limit: 10, completed: 'false' })).then(JSON.parse)).resolves.toEqual({
        items: [],
        total: 7,
        page: 5,
        limit: 10,
        nextCursor: null,
      });
      expect(run).toHaveBeenCalledTimes(2);
      expect(run).toHaveBeenLastCalledWith(TODOS.countByCompleted, [USER, false]);
    });

    it('starts an empty cursor at the newest todo and asks for one row more than the page, to know if another follows', async () => {
      run.mockResolvedValueOnce([listed(TODO, 'b', B), listed(USER, 'a', A)]);
      const page = JSON.parse(await service.list(USER, query({ cursor: '', limit: 1 })));
      expect(page).toEqual({ items: [todo({ id: TODO, title: 'b' })], nextCursor: cursors.seal(USER, ['all', B, TODO]), limit: 1 });
      expect(run).toHaveBeenCalledWith(TODOS.listAfter, [USER, 'infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 2]);
    });

    it('resumes after the position a cursor holds, with its filter', async () => {
      run.mockResolvedValueOnce([listed(USER, 'a', A)]);
      const cursor = cursors.seal(USER, ['open', B, TODO]);
      const page = JSON.parse(await service.list(USER, query({ cursor, limit: 1, completed: 'false' })));
      expect(page).toEqual({ items: [todo({ id: USER, title: 'a' })], nextCursor: null, limit: 1 });
      expect(run).toHaveBeenCalledWith(TODOS.listAfterByCompleted, [USER, B, TODO, 2, false]);
    });

    it.each([
      ['another user’s', () => cursors.seal(TODO, ['all', B, TODO])],
      ['a malformed position in a genuine', () => cursors.seal(USER, ['all', "2026-01-01'; --", TODO])],
      ['a short', () => cursors.seal(USER, ['all', B])],
      ['a foreign key’s', () => new PageCursors(Buffer.alloc(32, 7)).seal(USER, ['all', B, TODO])],
    ])('refuses %s cursor without reading anything', async (_label, make) => {
      await expect(service.list(USER, query({ cursor: make() }))).rejects.toBeInstanceOf(BadRequestException);
      expect(run).not.toHaveBeenCalled();
    });
  });

  describe('findOne', () => {
    it('answers 404 when no row is the caller’s', async () => {
      run.mockResolvedValueOnce([]);
      await expect(service.findOne(USER, TODO)).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('update', () => {
    it('treats {} as a read of the caller’s todo, not a write', async () => {
      run.mockResolvedValueOnce([todo()]);
      await expect(service.update(USER, TODO, {})).resolves.toEqual(todo());
      expect(run).toHaveBeenCalledWith(TODOS.find, [TODO, USER]);
    });

    it('answers 404 for {} on a todo that is not the caller’s', async () => {
      run.mockResolvedValueOnce([]);
      await expect(service.update(USER, TODO, {})).rejects.toBeInstanceOf(NotFoundException);
    });

    it('sets only the given fields, nulls included', async () => {
      run.mockResolvedValueOnce([todo({ completed: true })]);
      await expect(service.update(USER, TODO, { completed: true, description: null })).resolves.toEqual(todo({ completed: true }));
      expect(run).toHaveBeenCalledWith(TODOS.update(['description', 'completed']), [TODO, USER, null, true]);
    });

    it('clears or normalises the due date', async () => {
      run.mockResolvedValue([todo()]);
      await service.update(USER, TODO, { dueAt: null });
      await service.update(USER, TODO, { dueAt: '2030-06-01T00:00:00-04:00' });
      expect(run.mock.calls.map(([, params]) => params)).toEqual([
        [TODO, USER, null],
        [TODO, USER, '2030-06-01T04:00:00.000Z'],
      ]);
    });

    it('answers 404 when no row is the caller’s', async () => {
      run.mockResolvedValueOnce([]);
      await expect(service.update(USER, TODO, { title: 'x' })).rejects.toBeInstanceOf(NotFoundException);
    });
  });

  describe('remove', () => {
    it('answers 404 when nothing of the caller’s was deleted', async () => {
      run.mockResolvedValueOnce([]);
      await expect(service.remove(USER, TODO)).rejects.toBeInstanceOf(NotFoundException);
    });

    it('answers nothing when it was', async () => {
      run.mockResolvedValueOnce([{ id: TODO }]);
      await expect(service.remove(USER, TODO)).resolves.toBeUndefined();
    });
  });
});

describe('TODOS.update', () => {
  it('is one named statement per set of fields, the same object each time', () => {
    expect(TODOS.update(['title'])).toBe(TODOS.update(['title']));
    expect(TODOS.update(['title']).name).not.toBe(TODOS.update(['title', 'completed']).name);
  });
});
