import { describe, expect, it } from '@jest/globals';
import { parseCorsOrigins, parseTrustProxy } from './operations.js';

describe('parseTrustProxy', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['1', 1],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, ::1', ['10.0.0.0/8', '::1']],
  ])('reads %s', (raw, parsed) => expect(parseTrustProxy(raw)).toEqual(parsed));

  it.each(['', 'yes', '10.0.0.0/33', '1.2.3.4/8/1', 'example.com'])('refuses %p', (raw) =>
    expect(parseTrustProxy(raw)).toBeUndefined(),
  );
});

describe('parseCorsOrigins', () => {
  it('keeps exact origins', () =>
    expect(parseCorsOrigins('https://a.example.com, http://localhost:5173')).toEqual(['https://a.example.com', 'http://localhost:5173']));

  it.each(['*', 'https://a.example.com/', 'https://a.example.com/app', 'ftp://x.example.com', 'a.example.com'])('refuses %p', (raw) =>
    expect(parseCorsOrigins(raw)).toBeUndefined(),
  );
});
