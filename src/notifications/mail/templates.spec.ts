import { describe, expect, it } from '@jest/globals';
import { duration, escapeHtml, render } from './templates.js';

describe('mail templates', () => {
  it.each(['verify-email', 'password-reset'] as const)('%s has a text and an HTML part carrying the link', (name) => {
    const link = 'https://app.example.com/x?token=abc_DEF-123&lang=en';
    const mail = render(name, { email: 'ada@example.com', link, ttlSeconds: 1800 });
    expect(mail.subject).not.toBe('');
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('30 minutes');
    // In HTML the & of the query string is an entity, in the href and in the visible text.
    expect(mail.html).toContain('href="https://app.example.com/x?token=abc_DEF-123&amp;lang=en"');
    expect(mail.html).not.toContain('&lang');
  });

  it('escapes every interpolated value in the HTML part', () => {
    const mail = render('verify-email', {
      email: '"<script>alert(1)</script>"@example.com',
      link: 'https://app.example.com/verify-email?token=a"><img src=x onerror=alert(1)>',
      ttlSeconds: 86400,
    });
    expect(mail.html).not.toMatch(/<script|<img/);
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.html).toContain('token=a&quot;&gt;&lt;img');
    // The text part is plain text: nothing to escape, so it shows exactly what was given.
    expect(mail.text).toContain('"<script>alert(1)</script>"@example.com');
  });

  it.each(['mfa-enabled', 'mfa-disabled'] as const)('%s names the account in both parts, escaped in HTML, and carries no link', (name) => {
    const mail = render(name, { email: '"<b>x</b>"@example.com' });
    expect(mail.subject).toMatch(/^Two-factor authentication is (on|off)$/);
    expect(mail.text).toContain('"<b>x</b>"@example.com');
    expect(mail.html).toContain('&quot;&lt;b&gt;x&lt;/b&gt;&quot;@example.com');
    expect(mail.html).not.toContain('<b>');
    expect(`${mail.text}${mail.html}`).not.toMatch(/https?:/);
  });

  it('the new-sign-in mail says when, from where and on what, with both links, escaped', () => {
    const mail = render('new-sign-in', {
      email: 'ada@example.com',
      at: '2026-12-04T03:17:50.123Z',
      ip: '203.0.113.7',
      device: 'Firefox on Windows',
      sessionsLink: 'https://app.example.com/account#sessions',
      resetLink: 'https://app.example.com/reset-password',
    });
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('2026-12-04 03:17:50 UTC');
      expect(part).toContain('203.0.113.7');
      expect(part).toContain('Firefox on Windows');
      expect(part).toContain('https://app.example.com/account#sessions');
      expect(part).toContain('https://app.example.com/reset-password');
    }
    const hostile = render('new-sign-in', {
      email: 'ada@example.com',
      at: '2026-12-04T03:17:50.123Z',
      ip: '<b>1.2.3.4</b>',
      device: 'an unknown device',
      sessionsLink: 'https://app.example.com/account#sessions',
      resetLink: 'https://app.example.com/reset-password',
    });
    expect(hostile.html).not.toContain('<b>');
  });

  it('escapes the five characters HTML gives meaning to', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  it.each([
    [60, '1 minute'],
    [1800, '30 minutes'],
    [3600, '1 hour'],
    [86400, '24 hours'],
    [172800, '2 days'],
    [5400, '90 minutes'],
  ])('says %i seconds as "%s"', (seconds, words) => {
    expect(duration(seconds)).toBe(words);
  });
});
