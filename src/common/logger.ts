import type { LoggerService } from '@nestjs/common';
import { type DestinationStream, pino, type Logger } from 'pino';
import type { Environment } from '../config/environment.js';

/**
 * Secrets that must never reach a log line. Request lines carry no headers or bodies at all; these
 * paths catch anyone who logs a request, response or body later. Explicit paths, not wildcards:
 * a wildcard makes every log call walk every key.
 */
const SECRET_FIELDS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'accessToken', 'token'];
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((field) => `body.${field}`),
  ...SECRET_FIELDS.map((field) => `req.body.${field}`),
];

export function createLogger(
  env: Pick<Environment, 'LOG_LEVEL'>,
  // Asynchronous writes: under load, lines coalesce into few syscalls instead of one blocking
  // write per request. pino flushes what is pending when the process exits.
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  return pino({ level: env.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

/** Nest's own messages (start-up, errors) through the same structured logger as the requests. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
  }
  fatal(message: unknown, context?: string) {
    this.logger.fatal({ context }, String(message));
  }
}
