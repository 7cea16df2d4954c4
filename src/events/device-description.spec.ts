import { describe, expect, it } from '@jest/globals';
import { describeDevice } from './device-description.js';

describe('describeDevice', () => {
  it.each([
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0', 'Firefox on Windows'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Safari on macOS',
    ],
    ['Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36', 'Chrome on Android'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0',
      'Edge on Windows',
    ],
    ['curl/8.5.0', 'curl'],
    [null, 'an unknown device'],
  ])('names %s as "%s"', (userAgent, words) => {
    expect(describeDevice(userAgent)).toBe(words);
  });

  it('never repeats the text of a user agent it does not know', () => {
    const phishing = 'Your account is locked: call +1 555 0100 or visit https://evil.example';
    expect(describeDevice(phishing)).toBe('an unknown device');
    expect(describeDevice(`Firefox/1 ${phishing}`)).toBe('Firefox');
  });
});
