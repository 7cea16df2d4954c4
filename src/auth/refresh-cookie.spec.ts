import { describe, expect, it } from '@jest/globals';
import { refreshCookieOf } from './refresh-cookie.js';

describe('refreshCookieOf', () => {
  const of = (cookie?: string) => refreshCookieOf({ headers: cookie === undefined ? {} : { cookie } });

  it('finds the refresh token among other cookies', () => {
    expect(of('theme=dark; refresh_token=abc.def.ghi; lang=en')).toBe('abc.def.ghi');
    expect(of('refresh_token=abc.def.ghi')).toBe('abc.def.ghi');
  });

  it('is undefined without the cookie, with an empty one, or without a Cookie header', () => {
    expect(of()).toBeUndefined();
    expect(of('')).toBeUndefined();
    expect(of('theme=dark')).toBeUndefined();
    expect(of('refresh_token=')).toBeUndefined();
    expect(of('xrefresh_token=abc')).toBeUndefined();
  });
});
