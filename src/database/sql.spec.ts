import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ConflictException } from '@nestjs/common';
import { PG_CHECK_VIOLATION, PG_UNIQUE_VIOLATION, rethrowAs } from './sql.js';

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
