import { describe, expect, it } from '@jest/globals';
import { fitsOneSms, GSM7_LIMIT, gsm7Length, UCS2_LIMIT } from '../notifications/sms/sms-text.js';
import { todoCreatedText } from './todo-text.js';

describe('the todo-created text', () => {
  it('carries a short title whole', () => {
    expect(todoCreatedText('Renew passport')).toBe('New todo: Renew passport');
  });

  it('fills exactly 160 GSM-7 characters and no more', () => {
    const fits = 'a'.repeat(GSM7_LIMIT - 'New todo: '.length);
    expect(todoCreatedText(fits)).toBe(`New todo: ${fits}`);
    const text = todoCreatedText(`${fits}b`);
    expect(text).toHaveLength(GSM7_LIMIT);
    expect(text.endsWith('a...')).toBe(true);
  });

  it('counts extension characters as two septets', () => {
    expect(gsm7Length('€{}')).toBe(6);
    const text = todoCreatedText('€'.repeat(100));
    expect(gsm7Length(text)).toBeLessThanOrEqual(GSM7_LIMIT);
    expect(gsm7Length(text)).toBeGreaterThan(GSM7_LIMIT - 3);
  });

  it('falls back to 70 UCS-2 code units when a character is outside GSM-7', () => {
    const title = `Café au lait with Zoë, ${'ü'.repeat(40)} ✓ ${'x'.repeat(100)}`;
    const text = todoCreatedText(title);
    expect(gsm7Length(text)).toBeUndefined();
    expect(text.length).toBeLessThanOrEqual(UCS2_LIMIT);
    expect(text.endsWith('…')).toBe(true);
    expect(title.startsWith(text.slice('New todo: '.length, -1))).toBe(true);
  });

  it('keeps a long GSM-7 title in GSM-7: the marker is three dots, not an ellipsis that would force UCS-2', () => {
    const text = todoCreatedText('word '.repeat(60));
    expect(gsm7Length(text)).toBe(GSM7_LIMIT);
  });

  it('never cuts an emoji or a flag in half', () => {
    const text = todoCreatedText('🇫🇷'.repeat(40));
    expect(text.length).toBeLessThanOrEqual(UCS2_LIMIT);
    const body = text.slice('New todo: '.length, -1);
    expect(body).toBe('🇫🇷'.repeat(body.length / 4));
    expect(body.length).toBeGreaterThan(0);
  });

  it.each(['short', 'x'.repeat(200), 'ß€'.repeat(100), '日本語'.repeat(70), '😀'.repeat(200)])('always fits one SMS (%#)', (title) => {
    expect(fitsOneSms(todoCreatedText(title))).toBe(true);
  });
});
