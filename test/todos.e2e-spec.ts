import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createTestApp } from './support/app.js';
import { bearer, signUpAndLogIn, type SignedInUser } from './support/auth.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface Todo {
  id: string;
  title: string;
  description: string | null;
  completed: boolean;
  dueAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('todos', () => {
  let app: NestFastifyApplication;
  let alice: SignedInUser;
  let bob: SignedInUser;

  const http = () => request(app.getHttpServer());
  const as = (user: SignedInUser) => ({
    get: (url: string) => http().get(url).set(bearer(user.accessToken)),
    post: (url: string, body?: object | string) => http().post(url).set(bearer(user.accessToken)).send(body),
    patch: (url: string, body?: object | string) => http().patch(url).set(bearer(user.accessToken)).send(body),
    delete: (url: string, body?: object) => http().delete(url).set(bearer(user.accessToken)).send(body),
  });
  const create = async (user: SignedInUser, body: object): Promise<Todo> => (await as(user).post('/todos', body).expect(201)).body;

  beforeAll(async () => {
    app = await createTestApp();
    [alice, bob] = await Promise.all([signUpAndLogIn(app), signUpAndLogIn(app)]);
  });
  afterAll(async () => {
    await app.close();
  });

  describe('without a valid access token', () => {
    it.each([
      ['get', '/todos'],
      ['post', '/todos'],
      ['get', `/todos/${UNKNOWN_ID}`],
      ['patch', `/todos/${UNKNOWN_ID}`],
      ['delete', `/todos/${UNKNOWN_ID}`],
    ] as const)('%s %s is a 401', async (method, url) => {
      await http()[method](url).send({ title: 'x' }).expect(401);
      await http()[method](url).set('authorization', 'Bearer not.a.token').send({ title: 'x' }).expect(401);
    });

    it('creates nothing', async () => {
      await http().post('/todos').send({ title: 'sneaky' }).expect(401);
      const res = await as(alice).get('/todos?limit=100').expect(200);
      expect(res.body.items.map((t: Todo) => t.title)).not.toContain('sneaky');
    });
  });

  describe('create', () => {
    it('fills the defaults and answers exactly the documented shape', async () => {
      const res = await as(alice).post('/todos', { title: 'Buy milk' }).expect(201);
      expect(Object.keys(res.body).sort()).toEqual(['completed', 'createdAt', 'description', 'dueAt', 'id', 'title', 'updatedAt']);
      expect(res.body).toMatchObject({ title: 'Buy milk', description: null, completed: false, dueAt: null });
      expect(res.body.id).toMatch(UUID);
      expect(res.body.createdAt).toMatch(ISO);
      expect(res.body.updatedAt).toBe(res.body.createdAt);
      expect(Math.abs(Date.parse(res.body.createdAt) - Date.now())).toBeLessThan(60_000);
      await expect(as(alice).get(`/todos/${res.body.id}`).expect(200)).resolves.toMatchObject({ body: res.body });
    });

    it('takes every documented field, normalising dueAt to UTC', async () => {
      const todo = await create(alice, {
        title: 'Pay rent',
        description: 'before the 3rd',
        completed: true,
        dueAt: '2030-02-01T09:30:00+01:00',
      });
      expect(todo).toMatchObject({ title: 'Pay rent', description: 'before the 3rd', completed: true, dueAt: '2030-02-01T08:30:00.000Z' });
    });

    it('accepts the boundaries: 1 and 200 characters of title, 2000 of description, years 0001 and 9999', async () => {
      await create(alice, { title: 'x' });
      const long = await create(alice, { title: '😀'.repeat(200), description: 'd'.repeat(2000), dueAt: '9999-12-31T23:59:59.999Z' });
      expect(long).toMatchObject({ title: '😀'.repeat(200), description: 'd'.repeat(2000), dueAt: '9999-12-31T23:59:59.999Z' });
      await expect(create(alice, { title: 'old', dueAt: '0001-01-01T00:00:00Z' })).resolves.toMatchObject({
        dueAt: '0001-01-01T00:00:00.000Z',
      });
    });

    it.each([
      ['no title', {}],
      ['an empty title', { title: '' }],
      ['a null title', { title: null }],
      ['a numeric title', { title: 42 }],
      ['a 201-character title', { title: 'x'.repeat(201) }],
      ['a title Postgres would count as 201 characters', { title: '❤️'.repeat(100) + 'x' }],
      ['a NUL in the title', { title: 'a\u0000b' }],
      ['a 2001-character description', { title: 't', description: 'd'.repeat(2001) }],
      ['a numeric description', { title: 't', description: 5 }],
      ['completed as a string', { title: 't', completed: 'true' }],
      ['completed as null', { title: 't', completed: null }],
      ['dueAt that is no date', { title: 't', dueAt: 'tomorrow' }],
      ['dueAt as a bare date', { title: 't', dueAt: '2030-01-01' }],
      ['dueAt without an offset', { title: 't', dueAt: '2030-01-01T10:00:00' }],
      ['dueAt on February 30th', { title: 't', dueAt: '2030-02-30T10:00:00Z' }],
      ['dueAt as a number', { title: 't', dueAt: 1893456000000 }],
      ['dueAt in year 10000', { title: 't', dueAt: '+010000-01-01T00:00:00Z' }],
      ['dueAt in year 0', { title: 't', dueAt: '0000-06-01T00:00:00Z' }],
      ['dueAt past 9999 once in UTC', { title: 't', dueAt: '9999-12-31T23:00:00-05:00' }],
      ['an array body', [{ title: 't' }]],
    ])('refuses %s with a 400', async (_, body) => {
      const before = (await as(alice).get('/todos?limit=1').expect(200)).body.total;
      const res = await as(alice).post('/todos', body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((await as(alice).get('/todos?limit=1').expect(200)).body.total).toBe(before);
    });

    it.each(['id', 'userId', 'ownerId', 'createdAt', 'updatedAt', 'user'])('refuses an unknown field %s', async (field) => {
      const value = field === 'id' || field === 'userId' || field === 'ownerId' ? bob.userId : '2020-01-01T00:00:00.000Z';
      const res = await as(alice)
        .post('/todos', { title: 'mine', [field]: value })
        .expect(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });
  });

  describe('read, update and delete by id', () => {
    it.each(['get', 'patch', 'delete'] as const)('%s with a malformed id is a 400, an unknown one a 404', async (method) => {
      await as(alice)
        [method]('/todos/not-a-uuid', method === 'patch' ? { title: 'x' } : undefined)
        .expect(400);
      await as(alice)
        [method]('/todos/1', method === 'patch' ? { title: 'x' } : undefined)
        .expect(400);
      const res = await as(alice)
        [method](`/todos/${UNKNOWN_ID}`, method === 'patch' ? { title: 'x' } : undefined)
        .expect(404);
      expect(res.body).toMatchObject({ statusCode: 404 });
    });

    it('PATCH {} is a 200 that changes nothing, updatedAt included', async () => {
      const todo = await create(alice, { title: 'Leave me be', description: 'as is', dueAt: '2031-01-01T00:00:00Z' });
      await sleep(5);
      await expect(as(alice).patch(`/todos/${todo.id}`, {}).expect(200)).resolves.toMatchObject({ body: todo });
      await expect(as(alice).get(`/todos/${todo.id}`).expect(200)).resolves.toMatchObject({ body: todo });
    });

    it('PATCH changes only the given fields and moves updatedAt', async () => {
      const todo = await create(alice, { title: 'Draft', description: 'notes', dueAt: '2031-01-01T00:00:00Z' });
      await sleep(5);
      const res = await as(alice).patch(`/todos/${todo.id}`, { completed: true }).expect(200);
      expect(res.body).toEqual({ ...todo, completed: true, updatedAt: res.body.updatedAt });
      expect(Date.parse(res.body.updatedAt)).toBeGreaterThan(Date.parse(todo.updatedAt));
      expect(res.body.createdAt).toBe(todo.createdAt);

      await sleep(5);
      const again = await as(alice).patch(`/todos/${todo.id}`, { title: 'Final', description: null, dueAt: null }).expect(200);
      expect(again.body).toEqual({ ...res.body, title: 'Final', description: null, dueAt: null, updatedAt: again.body.updatedAt });
      expect(Date.parse(again.body.updatedAt)).toBeGreaterThan(Date.parse(res.body.updatedAt));
      await expect(as(alice).get(`/todos/${todo.id}`).expect(200)).resolves.toMatchObject({ body: again.body });
    });

    it('PATCH that sets the values already stored is not a change', async () => {
      const todo = await create(alice, { title: 'Same', completed: false });
      await sleep(5);
      await expect(as(alice).patch(`/todos/${todo.id}`, { title: 'Same', completed: false }).expect(200)).resolves.toMatchObject({
        body: todo,
      });
    });

    it.each([
      ['a null title', { title: null }],
      ['an empty title', { title: '' }],
      ['a 201-character title', { title: 'x'.repeat(201) }],
      ['a null completed', { completed: null }],
      ['completed as a string', { completed: 'yes' }],
      ['a 2001-character description', { description: 'd'.repeat(2001) }],
      ['a malformed dueAt', { dueAt: '31/01/2030' }],
      ['dueAt in year 10000', { dueAt: '+010000-01-01T00:00:00Z' }],
      ['an id', { id: UNKNOWN_ID }],
      ['a userId', { userId: UNKNOWN_ID }],
      ['an ownerId', { ownerId: UNKNOWN_ID }],
      ['a createdAt', { createdAt: '2020-01-01T00:00:00.000Z' }],
      ['a valid field beside an unknown one', { title: 'ok', userId: UNKNOWN_ID }],
    ])('PATCH with %s is a 400 and leaves the todo alone', async (_, body) => {
      const todo = await create(alice, { title: 'Guarded', description: 'keep' });
      await as(alice).patch(`/todos/${todo.id}`, body).expect(400);
      await expect(as(alice).get(`/todos/${todo.id}`).expect(200)).resolves.toMatchObject({ body: todo });
    });

    it('DELETE is a 204, after which the todo is gone', async () => {
      const todo = await create(alice, { title: 'Short-lived' });
      const res = await as(alice).delete(`/todos/${todo.id}`).expect(204);
      expect(res.text).toBe('');
      await as(alice).get(`/todos/${todo.id}`).expect(404);
      await as(alice).patch(`/todos/${todo.id}`, { title: 'back?' }).expect(404);
      await as(alice).delete(`/todos/${todo.id}`).expect(404);
    });
  });

  describe('another user', () => {
    it('gets a 404 for GET, PATCH and DELETE of someone else’s todo, which stays unchanged', async () => {
      const todo = await create(alice, { title: 'Alice only', description: 'private', dueAt: '2032-05-05T05:05:05Z' });
      for (const attempt of [
        as(bob).get(`/todos/${todo.id}`),
        as(bob).patch(`/todos/${todo.id}`, { title: 'Bob was here', completed: true }),
        as(bob).patch(`/todos/${todo.id}`, {}),
        as(bob).delete(`/todos/${todo.id}`),
      ]) {
        const res = await attempt.expect(404);
        // Exactly the body an unknown id gets: nothing tells Bob the todo exists.
        const unknown = await as(bob).get(`/todos/${UNKNOWN_ID}`).expect(404);
        expect(res.body).toEqual(unknown.body);
      }
      await expect(as(alice).get(`/todos/${todo.id}`).expect(200)).resolves.toMatchObject({ body: todo });
    });

    it('never sees someone else’s todos in the list', async () => {
      const carol = await signUpAndLogIn(app);
      const dave = await signUpAndLogIn(app);
      const carols = await Promise.all([create(carol, { title: 'c1' }), create(carol, { title: 'c2' })]);
      const daves = await create(dave, { title: 'd1' });

      const carolList = (await as(carol).get('/todos?limit=100').expect(200)).body;
      expect(carolList.total).toBe(2);
      expect(carolList.items.map((t: Todo) => t.id).sort()).toEqual(carols.map((t) => t.id).sort());
      const daveList = (await as(dave).get('/todos?limit=100').expect(200)).body;
      expect(daveList).toMatchObject({ total: 1, items: [daves] });
      await expect(as(dave).get('/todos?completed=false').expect(200)).resolves.toMatchObject({ body: { total: 1 } });
    });
  });

  describe('list', () => {
    let eve: SignedInUser;
    let created: Todo[];

    beforeAll(async () => {
      eve = await signUpAndLogIn(app);
      created = [];
      // One at a time, so creation order is the order of created_at.
      for (let i = 0; i < 25; i++) created.push(await create(eve, { title: `todo ${i}`, completed: i % 3 === 0 }));
    });

    it('defaults to page 1 of 20, newest first, with the total', async () => {
      const res = await as(eve).get('/todos').expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['items', 'limit', 'nextCursor', 'page', 'total']);
      expect(res.body).toMatchObject({ total: 25, page: 1, limit: 20, nextCursor: expect.any(String) });
      expect(res.body.items).toEqual(created.slice().reverse().slice(0, 20));
    });

    it('walks the pages newest first without gaps or repeats, the total on each', async () => {
      const newestFirst = created.slice().reverse();
      const seen: Todo[] = [];
      for (const [page, size] of [
        [1, 10],
        [2, 10],
        [3, 5],
      ]) {
        const res = await as(eve).get(`/todos?page=${page}&limit=10`).expect(200);
        expect(res.body).toMatchObject({ total: 25, page, limit: 10 });
        expect(res.body.items).toHaveLength(size);
        seen.push(...res.body.items);
      }
      expect(seen).toEqual(newestFirst);
    });

    it('keeps the total past the last page', async () => {
      await expect(as(eve).get('/todos?page=4&limit=10').expect(200)).resolves.toMatchObject({
        body: { items: [], total: 25, page: 4, limit: 10 },
      });
      await expect(as(eve).get('/todos?page=2&limit=100&completed=true').expect(200)).resolves.toMatchObject({
        body: { items: [], total: 9, page: 2, limit: 100 },
      });
    });

    it('filters on completed, still newest first, with the filtered total', async () => {
      const done = created.filter((t) => t.completed).reverse();
      const open = created.filter((t) => !t.completed).reverse();
      expect(done).toHaveLength(9);
      await expect(as(eve).get('/todos?completed=true&limit=100').expect(200)).resolves.toMatchObject({
        body: { items: done, total: 9 },
      });
      await expect(as(eve).get('/todos?completed=false&limit=5&page=2').expect(200)).resolves.toMatchObject({
        body: { items: open.slice(5, 10), total: 16, page: 2, limit: 5 },
      });
    });

    it('follows a completed toggle', async () => {
      const target = created[1];
      await as(eve).patch(`/todos/${target.id}`, { completed: true }).expect(200);
      try {
        const res = await as(eve).get('/todos?completed=true&limit=100').expect(200);
        expect(res.body.total).toBe(10);
        expect(res.body.items.map((t: Todo) => t.id)).toContain(target.id);
      } finally {
        await as(eve).patch(`/todos/${target.id}`, { completed: false }).expect(200);
      }
    });

    it.each([
      'page=0',
      'page=-1',
      'page=1.5',
      'page=abc',
      'page=',
      'page=1e2',
      'page=99999999999',
      'limit=0',
      'limit=101',
      'limit=-5',
      'limit=ten',
      'limit=',
      'completed=yes',
      'completed=TRUE',
      'completed=1',
      'completed=',
      'completed=true&completed=false',
    ])('refuses ?%s with a 400 instead of a default', async (qs) => {
      const res = await as(eve).get(`/todos?${qs}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });

  describe('cursor pages', () => {
    let gus: SignedInUser;
    let created: Todo[];
    const newestFirst = () => created.slice().reverse();

    /** Every page from `first` on, following nextCursor; fails on anything but a 200. */
    const walk = async (user: SignedInUser, first: string) => {
      const pages: { items: Todo[]; nextCursor: string | null; limit: number }[] = [];
      let url: string | null = first;
      while (url) {
        const res: request.Response = await as(user).get(url).expect(200);
        pages.push(res.body);
        const next: string | null = res.body.nextCursor;
        url = next === null ? null : `${first.replace(/cursor=[^&]*/, '')}&cursor=${next}`;
        if (pages.length > 50) throw new Error('nextCursor never ran out');
      }
      return pages;
    };

    beforeAll(async () => {
      gus = await signUpAndLogIn(app);
      created = [];
      for (let i = 0; i < 23; i++) created.push(await create(gus, { title: `cursor ${i}`, completed: i % 4 === 0 }));
    });

    it('walks every todo newest first without gaps or repeats, and the last page says null', async () => {
      const pages = await walk(gus, '/todos?limit=10&cursor=');
      expect(pages.map((p) => p.items.length)).toEqual([10, 10, 3]);
      for (const page of pages) expect(Object.keys(page).sort()).toEqual(['items', 'limit', 'nextCursor']);
      expect(pages.map((p) => p.limit)).toEqual([10, 10, 10]);
      expect(pages.at(-1)!.nextCursor).toBeNull();
      expect(pages.flatMap((p) => p.items)).toEqual(newestFirst());
    });

    it('a page that ends exactly at the last todo says null, not a cursor to an empty page', async () => {
      const pages = await walk(gus, '/todos?limit=23&cursor=');
      expect(pages).toHaveLength(1);
      expect(pages[0]).toMatchObject({ nextCursor: null, limit: 23 });
      expect(pages[0].items).toEqual(newestFirst());
    });

    it('continues from a numbered page’s nextCursor; the last numbered page has none', async () => {
      const first = (await as(gus).get('/todos?page=1&limit=5').expect(200)).body;
      expect(first.items).toEqual(newestFirst().slice(0, 5));
      const next = (await as(gus).get(`/todos?limit=5&cursor=${first.nextCursor}`).expect(200)).body;
      expect(next.items).toEqual(newestFirst().slice(5, 10));
      await expect(as(gus).get('/todos?page=5&limit=5').expect(200)).resolves.toMatchObject({ body: { nextCursor: null } });
      await expect(as(gus).get('/todos?page=9&limit=5').expect(200)).resolves.toMatchObject({ body: { items: [], nextCursor: null } });
    });

    it('keeps its place when the todo it stopped at is deleted meanwhile', async () => {
      const first = (await as(gus).get('/todos?limit=4&cursor=').expect(200)).body;
      const lastSeen = first.items[3] as Todo;
      await as(gus).delete(`/todos/${lastSeen.id}`).expect(204);
      created = created.filter((t) => t.id !== lastSeen.id);
      const next = (await as(gus).get(`/todos?limit=4&cursor=${first.nextCursor}`).expect(200)).body;
      expect(next.items).toEqual(newestFirst().slice(3, 7));
    });

    it('neither skips nor repeats todos created in the same microsecond', async () => {
      const hal = await signUpAndLogIn(app);
      const twins: Todo[] = [];
      for (let i = 0; i < 7; i++) twins.push(await create(hal, { title: `twin ${i}` }));
      await app.get(DataSource).query(`UPDATE todos SET created_at = '2026-01-02T03:04:05.678901Z' WHERE user_id = $1`, [hal.userId]);
      const pages = await walk(hal, '/todos?limit=2&cursor=');
      const ids = pages.flatMap((p) => p.items.map((t) => t.id));
      expect(ids).toHaveLength(7);
      expect([...ids].sort()).toEqual(twins.map((t) => t.id).sort());
      // Ties go to the greater id first, the index's own order.
      expect(ids).toEqual([...ids].sort().reverse());
    });

    it('filters on completed, and a cursor works only with the filter it was issued for', async () => {
      const pages = await walk(gus, '/todos?completed=true&limit=2&cursor=');
      expect(pages.flatMap((p) => p.items)).toEqual(newestFirst().filter((t) => t.completed));
      const cursor = pages[0].nextCursor!;
      await as(gus).get(`/todos?completed=true&limit=2&cursor=${cursor}`).expect(200);
      for (const other of ['', '&completed=false']) {
        const res = await as(gus).get(`/todos?limit=2&cursor=${cursor}${other}`).expect(400);
        expect(res.body.message).toMatch(/completed filter/);
      }
    });

    it('refuses a tampered cursor with a 400, while the genuine one still works', async () => {
      const { nextCursor } = (await as(gus).get('/todos?limit=3&cursor=').expect(200)).body as { nextCursor: string };
      const [payload, mac] = nextCursor.split('.');
      const fields = JSON.parse(Buffer.from(payload, 'base64url').toString()) as string[];
      // The same position moved back a year: a well-formed payload with the old MAC.
      const moved = Buffer.from(JSON.stringify([fields[0], fields[1].replace(/^\d{4}/, (y) => String(Number(y) - 1)), fields[2]])).toString(
        'base64url',
      );
      const flip = (text: string) => text.slice(0, -1) + (text.endsWith('A') ? 'B' : 'A');
      for (const forged of [`${moved}.${mac}`, `${payload}.${flip(mac)}`, `${flip(payload)}.${mac}`, payload, `${payload}.`, 'x.y', '.']) {
        const res = await as(gus).get(`/todos?limit=3&cursor=${forged}`).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/cursor/) });
      }
      await expect(as(gus).get(`/todos?limit=3&cursor=${nextCursor}`).expect(200)).resolves.toMatchObject({
        body: { items: newestFirst().slice(3, 6) },
      });
    });

    it('refuses another user’s cursor with a 400 that reveals none of their todos', async () => {
      const { nextCursor } = (await as(gus).get('/todos?limit=3&cursor=').expect(200)).body as { nextCursor: string };
      const res = await as(bob).get(`/todos?limit=3&cursor=${nextCursor}`).expect(400);
      expect(JSON.stringify(res.body)).not.toMatch(/cursor \d/);
      expect(res.body.message).toMatch(/cursor/);
      // Bob's own cursors keep working.
      await create(bob, { title: 'bob 1' });
      await create(bob, { title: 'bob 2' });
      const own = (await as(bob).get('/todos?limit=1&cursor=').expect(200)).body;
      await as(bob).get(`/todos?limit=1&cursor=${own.nextCursor}`).expect(200);
    });

    it('keeps numbered pages up to 100 and refuses deeper ones with a 400 naming cursor', async () => {
      await expect(as(gus).get('/todos?page=100&limit=1').expect(200)).resolves.toMatchObject({ body: { items: [], page: 100 } });
      for (const page of [101, 5000, 99999999999]) {
        const res = await as(gus).get(`/todos?page=${page}`).expect(400);
        expect(res.body.message).toEqual([expect.stringMatching(/page must not be greater than 100.*cursor/)]);
      }
    });

    it.each([
      ['page with cursor', 'page=1&cursor='],
      ['a space', 'cursor=%20'],
      ['513 characters', `cursor=${'a'.repeat(513)}`],
      ['two cursors', 'cursor=a&cursor=b'],
    ])('refuses a cursor query with %s with a 400', async (_label, qs) => {
      const res = await as(gus).get(`/todos?${qs}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    });
  });

  it('round-trips hostile strings verbatim', async () => {
    const hostile = [
      `Robert'); DROP TABLE todos;--`,
      `' OR '1'='1`,
      `$1 $2 :userId ? %s %_ \\x00`,
      `<script>alert("x")</script><img src=x onerror=alert(1)>`,
      `"double" 'single' \`back\` \\ backslash`,
      `  padded, not trimmed  `,
      `line\nbreak\r\ttab`,
      `👩‍👩‍👧‍👦 ❤️ 🏳️‍🌈 e\u0301 \u202Eevil\u202C مرحبا 你好`,
      `{"json": [1, 2]}`,
    ];
    for (const text of hostile) {
      const todo = await create(alice, { title: text, description: text });
      expect(todo).toMatchObject({ title: text, description: text });
      await expect(as(alice).get(`/todos/${todo.id}`).expect(200)).resolves.toMatchObject({
        body: { title: text, description: text },
      });
      const patched = await as(alice)
        .patch(`/todos/${todo.id}`, { title: `${text}!` })
        .expect(200);
      expect(patched.body.title).toBe(`${text}!`);
    }
    // The todos table survived the injection attempts and the list still reads them back.
    const list = (await as(alice).get('/todos?limit=100').expect(200)).body;
    expect(list.items.map((t: Todo) => t.description)).toEqual(expect.arrayContaining(hostile));
  });

  it('deleting a user removes their todos', async () => {
    const frank = await signUpAndLogIn(app);
    const todos = await Promise.all([create(frank, { title: 'f1' }), create(frank, { title: 'f2' })]);
    const database = app.get(DataSource);
    const count = async () =>
      Number((await database.query<{ n: string }[]>('SELECT count(*) AS n FROM todos WHERE user_id = $1', [frank.userId]))[0].n);
    expect(await count()).toBe(2);

    await as(frank).delete('/users/me', { password: frank.password }).expect(204);
    expect(await count()).toBe(0);
    const ids = todos.map((t) => t.id);
    const [left] = await database.query<{ n: string }[]>('SELECT count(*) AS n FROM todos WHERE id = ANY($1::uuid[])', [ids]);
    expect(Number(left.n)).toBe(0);
    await as(frank).get('/todos').expect(401);
  });
});
