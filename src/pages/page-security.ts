import type { FastifyReply } from 'fastify';
import type { Html } from './html.js';

/**
 * The pages' own policy, set on each page response (the API's `default-src 'none'` would block
 * their stylesheet and scripts): everything from 'self' only, no inline script or style, forms post
 * only here, never framed.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Sends a page. Never cached: a page may show a link's token or an account. No referrer either, so
 * the token in a link's URL never leaves in a Referer header. Its own browsing context group and
 * agent cluster, and no DNS prefetching of what it shows.
 */
export function sendPage(reply: FastifyReply, page: Html, status = 200): void {
  void reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    // Document-only headers that the API's JSON answers leave out (common/http.ts).
    .header('cross-origin-opener-policy', 'same-origin')
    .header('origin-agent-cluster', '?1')
    .header('x-dns-prefetch-control', 'off')
    .send(page.text);
}
