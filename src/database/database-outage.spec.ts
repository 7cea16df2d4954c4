import { describe, expect, it } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-outage.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', withCode('ECONNRESET')],
    ['an administrator shutting the server down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['a server still starting (57P03)', withCode('57P03', 'the database system is starting up')],
    ['too many connections (53300)', withCode('53300')],
    ['a connection exception (class 08)', withCode('08006')],
    ['a connection that ended mid-query', new Error('Connection terminated unexpectedly')],
    ['a pool that waited too long for a connection', new Error('timeout exceeded when trying to connect')],
    ['one wrapped by TypeORM', new QueryFailedError('SELECT 1', [], withCode('57P01'))],
    ['one as the cause', new Error('outer', { cause: withCode('ECONNREFUSED') })],
    ['every address refused (AggregateError)', Object.assign(new AggregateError([withCode('ECONNREFUSED')], 'x'), { code: undefined })],
  ])('recognises %s', (_case, error) => expect(isDatabaseUnavailable(error)).toBe(true));

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], withCode('23505'))],
    ['a syntax error', withCode('42601')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a string', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('leaves %s to be a 500', (_case, error) => expect(isDatabaseUnavailable(error)).toBe(false));
});
