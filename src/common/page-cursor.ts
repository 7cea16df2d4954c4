import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalBase64url } from './base64url.js';

const MAC_BYTES = 16;

/**
 * Opaque page cursors (API.md, Todos — cursor pagination): the position of the last item a page
 * showed, sealed with an HMAC-SHA256 over the user it was issued to. A cursor someone edited, or
 * one issued to another user, fails the check and is refused; the list query is filtered by the
 * caller's id anyway, so even a forged position could only ever select the caller's own rows.
 * Each list gets its own key (KeyStore.derive with its own purpose), so no cursor opens another list.
 */
export class PageCursors {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new Error('a page cursor key needs at least 32 bytes');
  }

  seal(userId: string, fields: readonly string[]): string {
    const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
    return `${payload}.${this.mac(userId, payload).toString('base64url')}`;
  }

  /** The fields `seal` was given for this user, or null for anything else. */
  open(userId: string, cursor: string): string[] | null {
    const dot = cursor.indexOf('.');
    if (dot < 0) return null;
    const payload = cursor.slice(0, dot);
    // One spelling per cursor, as per token: another text of the same bytes is not this cursor.
    const mac = canonicalBase64url(cursor.slice(dot + 1));
    const fields = canonicalBase64url(payload);
    if (!mac || !fields || mac.length !== MAC_BYTES || !timingSafeEqual(mac, this.mac(userId, payload))) return null;
    try {
      const parsed: unknown = JSON.parse(fields.toString());
      return Array.isArray(parsed) && parsed.every((field) => typeof field === 'string') ? parsed : null;
    } catch {
      return null;
    }
  }

  private mac(userId: string, payload: string): Buffer {
    return createHmac('sha256', this.key).update(userId).update('\n').update(payload).digest().subarray(0, MAC_BYTES);
  }
}
