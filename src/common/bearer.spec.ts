import { describe, expect, it } from '@jest/globals';
import { bearerToken } from './bearer.js';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
  ])('reads %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'Bearerabc', 'Bearer a b', ' Bearer abc'])('refuses %j', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});
