import { describe, expect, it } from '@jest/globals';
import { bearerToken } from './bearer.js';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['Bearer \u00e9t\u00e9', '\u00e9t\u00e9'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
  ])('reads %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Basic abc',
    'Bearerabc',
    'Bearer a b',
    'Bearer a\tb',
    'Bearer a\u00a0b',
    'Bearer abc\n',
    ' Bearer abc',
  ])('refuses %j', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});
