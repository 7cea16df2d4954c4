import { describe, expect, it } from '@jest/globals';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateTodoDto } from './create-todo.dto.js';
import { ListTodosQueryDto } from './list-todos-query.dto.js';
import { UpdateTodoDto } from './update-todo.dto.js';
import { parseDateTime } from '../../common/validators.js';

async function failures(cls: new () => object, plain: object): Promise<string[]> {
  const errors = await validate(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((error) => error.property);
}

describe('parseDateTime', () => {
  it.each([
    ['2030-01-31T17:00:00Z', '2030-01-31T17:00:00.000Z'],
    ['2030-01-31T17:00:00.123456+02:00', '2030-01-31T15:00:00.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
  ])('reads %s as %s', (input, iso) => {
    expect(new Date(parseDateTime(input)).toISOString()).toBe(iso);
  });

  it.each([
    '2030-01-31',
    '2030-01-31T17:00:00',
    '2030-01-31 17:00:00Z',
    '2023-02-29T00:00:00Z',
    '2030-02-30T00:00:00Z',
    '2030-13-01T00:00:00Z',
    '2030-01-01T24:00:00Z',
    '2030-01-01T23:59:60Z',
    '0000-12-31T23:59:59Z',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:00:00-05:00',
    '+010000-01-01T00:00:00Z',
    'tomorrow',
  ])('refuses %s', (input) => {
    expect(parseDateTime(input)).toBeNaN();
  });
});

describe('todo bodies', () => {
  it('count title length in code points, as Postgres does', async () => {
    // 200 hearts with a variation selector each: class-validator's @Length would call this 200, Postgres 400.
    await expect(failures(CreateTodoDto, { title: '❤️'.repeat(200) })).resolves.toEqual(['title']);
    await expect(failures(CreateTodoDto, { title: '😀'.repeat(200) })).resolves.toEqual([]);
    await expect(failures(CreateTodoDto, { title: '😀'.repeat(201) })).resolves.toEqual(['title']);
  });

  it('refuse what Postgres cannot store verbatim', async () => {
    await expect(failures(CreateTodoDto, { title: 'a\u0000b' })).resolves.toEqual(['title']);
    await expect(failures(CreateTodoDto, { title: 'x', description: 'lone \ud800 surrogate' })).resolves.toEqual(['description']);
  });

  it('allow null where the contract does and nowhere else', async () => {
    await expect(failures(CreateTodoDto, { title: 'x', description: null, dueAt: null })).resolves.toEqual([]);
    await expect(failures(CreateTodoDto, { title: 'x', completed: null })).resolves.toEqual(['completed']);
    await expect(failures(UpdateTodoDto, {})).resolves.toEqual([]);
    await expect(failures(UpdateTodoDto, { description: null, dueAt: null })).resolves.toEqual([]);
    await expect(failures(UpdateTodoDto, { title: null, completed: null })).resolves.toEqual(['title', 'completed']);
  });
});

describe('list query', () => {
  it('turns digits into numbers and keeps the defaults', async () => {
    const dto = plainToInstance(ListTodosQueryDto, { page: '2' });
    expect(dto).toMatchObject({ page: 2, limit: 20 });
    await expect(validate(dto)).resolves.toEqual([]);
  });

  it.each([
    { page: '0' },
    { page: '1.5' },
    { page: '-1' },
    { page: '' },
    { page: '1e3' },
    { page: '99999999999' },
    { limit: '0' },
    { limit: '101' },
    { limit: 'ten' },
    { completed: 'yes' },
    { completed: '1' },
    { completed: '' },
  ])('refuses %o', async (plain) => {
    await expect(failures(ListTodosQueryDto, plain)).resolves.toEqual(Object.keys(plain));
  });
});
