import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { clientAddress } from '../../common/client-address.js';
import type { Device } from '../sessions/sessions.service.js';

const MAX_USER_AGENT = 512;

/** The device a new session is recorded for: its user agent (bounded to the column) and address. */
export const ClientDevice = createParamDecorator((_data: unknown, context: ExecutionContext): Device => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  const userAgent = request.headers['user-agent'];
  return { userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT) : null, ip: clientAddress(request) };
});
