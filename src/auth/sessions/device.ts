import type { FastifyRequest } from 'fastify';
import type { Device } from './sessions.service.js';

const MAX_USER_AGENT = 512;

/** The device a new session is recorded for: its user agent (bounded to the column) and address. */
export function deviceOf(request: FastifyRequest): Device {
  const userAgent = request.headers['user-agent'];
  return { userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null, ip: request.ip ?? null };
}
