import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';

/** The longest textual IP address (an IPv4-mapped IPv6 address); the sessions' ip column holds 64. */
const MAX_ADDRESS_LENGTH = 45;

/**
 * The client's address for rate limits and sessions (API.md, Abuse limits): what TRUST_PROXY
 * derives from X-Forwarded-For when that is an IP address, else the connection's own address.
 * A forwarded value is the client's to write (`<script>`, 70 characters): it is never stored or
 * counted unless it is an address.
 */
export function clientAddress(request: FastifyRequest): string | null {
  const forwarded = request.ip;
  if (typeof forwarded === 'string' && forwarded.length <= MAX_ADDRESS_LENGTH && isIP(forwarded) !== 0) return forwarded;
  const own = request.socket?.remoteAddress;
  return own && own.length <= MAX_ADDRESS_LENGTH ? own : null;
}
