import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ConflictException } from '@nestjs/common';
import { exactUtcText, PG_CHECK_VIOLATION, PG_UNIQUE_VIOLATION, rethrowAs, statement, utcText } from './sql.js';

const pgError = (code: string, constraint?: string) => Object.assign(new Error('from pg'), { code, constraint });

describe('rethrowAs', () => {
  it('throws the answer for the SQLSTATE', () => {
    const taken = () => rethrowAs(pgError(PG_UNIQUE_VIOLATION), { [PG_UNIQUE_VIOLATION]: () => new ConflictException('taken') });
    expect(taken).toThrow(ConflictException);
    expect(taken).toThrow('taken');
  });

  it('picks the answer by constraint name when the SQLSTATE has several', () => {
    const answers = {
      [PG_CHECK_VIOLATION]: { a_check: () => new BadRequestException('a'), b_check: () => new BadRequestException('b') },
    };
    expect(() => rethrowAs(pgError(PG_CHECK_VIOLATION, 'b_check'), answers)).toThrow('b');
    const other = pgError(PG_CHECK_VIOLATION, 'c_check');
    expect(() => rethrowAs(other, answers)).toThrow(other);
  });

  it('rethrows anything unexpected as it is', () => {
    const answers = { [PG_UNIQUE_VIOLATION]: () => new ConflictException('taken') };
    const unexpected = pgError(PG_CHECK_VIOLATION);
    expect(() => rethrowAs(unexpected, answers)).toThrow(unexpected);
    const plain = new TypeError('no code');
    expect(() => rethrowAs(plain, answers)).toThrow(plain);
  });
});

describe('timestamps as Postgres prints them (DateStyle ISO), to the API', () => {
  it.each([
    ['2026-11-22 15:58:18.123456', '2026-11-22T15:58:18.123Z', '2026-11-22T15:58:18.123456Z'],
    ['2026-11-22 15:58:18.9999', '2026-11-22T15:58:18.999Z', '2026-11-22T15:58:18.999900Z'],
    ['2026-11-22 15:58:18.12', '2026-11-22T15:58:18.120Z', '2026-11-22T15:58:18.120000Z'],
    ['2026-11-22 15:58:18.5', '2026-11-22T15:58:18.500Z', '2026-11-22T15:58:18.500000Z'],
    ['2026-11-22 15:58:18', '2026-11-22T15:58:18.000Z', '2026-11-22T15:58:18.000000Z'],
    ['0001-01-01 00:00:00', '0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000000Z'],
  ])('reads %j', (text, milliseconds, microseconds) => {
    expect(utcText(text)).toBe(milliseconds);
    expect(exactUtcText(text)).toBe(microseconds);
    // The same instant JavaScript reads from the API's text, truncated to the millisecond.
    expect(new Date(utcText(text)).toISOString()).toBe(milliseconds);
  });

  it.each([
    'infinity',
    '2026-11-22 15:58:18 BC',
    '2026-11-22 15:58:18.5 BC',
    '22/11/2026 15:58:18',
    '12026-11-22 15:58:18',
    '2026-11-22T15:58:18',
  ])('refuses %j rather than guess', (text) => {
    expect(() => utcText(text)).toThrow(/DateStyle/);
    expect(() => exactUtcText(text)).toThrow(/DateStyle/);
  });
});

describe('statement', () => {
  it('folds its text onto one line, keeping what is inside a line', () => {
    const folded = statement(
      'folded',
      `
      SELECT id, 'a  b' AS spaced
        FROM users
       WHERE id = $1`,
    );
    expect(folded).toEqual({ name: 'folded', text: "SELECT id, 'a  b' AS spaced FROM users WHERE id = $1" });
  });

  it('refuses a -- comment, which folding would turn on the rest of the statement', () => {
    expect(() => statement('commented', 'SELECT 1 -- why\nFROM users')).toThrow('no -- comments');
  });
});
