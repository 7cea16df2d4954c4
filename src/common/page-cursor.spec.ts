import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { PageCursors } from './page-cursor.js';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';

describe('PageCursors', () => {
  const cursors = new PageCursors(randomBytes(32));

  it('opens what it sealed for the same user', () => {
    expect(cursors.open(ALICE, cursors.seal(ALICE, ['all', '2026-01-01T00:00:00.000001Z', BOB]))).toEqual([
      'all',
      '2026-01-01T00:00:00.000001Z',
      BOB,
    ]);
  });

  it('seals into characters a query string carries as they are', () => {
    expect(cursors.seal(ALICE, ['x', 'ünïcode "quoted"'])).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a cursor sealed for another user, or under another key', () => {
    const cursor = cursors.seal(ALICE, ['a']);
    expect(cursors.open(BOB, cursor)).toBeNull();
    expect(new PageCursors(randomBytes(32)).open(ALICE, cursor)).toBeNull();
  });

  it('refuses any edit of the payload or the MAC', () => {
    const [payload, mac] = cursors.seal(ALICE, ['a', 'b']).split('.');
    const other = Buffer.from(JSON.stringify(['a', 'c'])).toString('base64url');
    for (const forged of [`${other}.${mac}`, `${payload}.${mac.slice(1)}`, `${payload}x.${mac}`, `${payload}.${mac}A`, payload, '', '.']) {
      expect(cursors.open(ALICE, forged)).toBeNull();
    }
  });

  it('refuses another spelling of the same bytes (set trailing bits, padding, a stray character), and opens the original', () => {
    const cursor = cursors.seal(ALICE, ['a', 'b']);
    const [payload, mac] = cursor.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The MAC's last character carries unused low bits (its length is not a multiple of 3 bytes).
    const unused = (6 * mac.length) % 8;
    expect(unused).toBeGreaterThan(0);
    const lastWithBitsSet = alphabet[alphabet.indexOf(mac.at(-1)!) | ((1 << unused) - 1)];
    const respelled = [
      `${payload}.${mac.slice(0, -1)}${lastWithBitsSet}`,
      `${payload}.${mac}=`,
      `${payload}.${mac.slice(0, 5)}~${mac.slice(5)}`,
      `${payload}=.${mac}`,
    ];
    for (const other of respelled) {
      expect(other).not.toBe(cursor);
      expect(cursors.open(ALICE, other)).toBeNull();
    }
    expect(cursors.open(ALICE, cursor)).toEqual(['a', 'b']);
  });

  it('refuses a genuine MAC over something that is not a list of strings', () => {
    const sealRaw = (value: unknown) => {
      // Seal a list, then swap its payload for the value: only the MAC over the new payload is genuine.
      const inner = new PageCursors(Buffer.alloc(32, 1));
      const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
      const mac = (inner as unknown as { mac(user: string, payload: string): Buffer }).mac(ALICE, payload).toString('base64url');
      return { inner, cursor: `${payload}.${mac}` };
    };
    for (const value of [{ a: 1 }, [1, 2], 'text', null]) {
      const { inner, cursor } = sealRaw(value);
      expect(inner.open(ALICE, cursor)).toBeNull();
    }
  });

  it('will not work with a short key', () => {
    expect(() => new PageCursors(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
