import { describe, expect, it } from '@jest/globals';
import { fastifyTrustProxy, parseCorsOrigins, parseTrustProxy } from './operations.js';

describe('parseTrustProxy', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['1', 1],
    ['127.0.0.1', ['127.0.0.1']],
    ['10.0.0.0/8, ::1', ['10.0.0.0/8', '::1']],
  ])('reads %s', (raw, parsed) => expect(parseTrustProxy(raw)).toEqual(parsed));

  it.each(['', 'yes', '10.0.0.0/33', '1.2.3.4/8/1', 'example.com'])('refuses %p', (raw) => expect(parseTrustProxy(raw)).toBeUndefined());
});

describe('parseCorsOrigins', () => {
  it('keeps exact origins', () =>
    expect(parseCorsOrigins('https://a.example.com, http://localhost:5173')).toEqual(['https://a.example.com', 'http://localhost:5173']));

  it.each(['*', 'https://a.example.com/', 'https://a.example.com/app', 'ftp://x.example.com', 'a.example.com'])('refuses %p', (raw) =>
    expect(parseCorsOrigins(raw)).toBeUndefined(),
  );
});

describe('fastifyTrustProxy', () => {
  it('trusts nobody when unset', () => expect(fastifyTrustProxy(undefined)).toBe(false));

  it('turns a hop count into trust for exactly that many hops nearest the server', () => {
    const trust = fastifyTrustProxy('2') as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => trust('10.0.0.1', hop))).toEqual([true, true, false]);
  });

  it('passes addresses and CIDRs through', () => expect(fastifyTrustProxy('10.0.0.0/8,::1')).toEqual(['10.0.0.0/8', '::1']));
});
