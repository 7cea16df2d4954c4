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

/** Request lines gather up to this many bytes (about 25 lines) before one write. */
const LOG_BUFFER_BYTES = 4096;
/** ... and are written at least this often when fewer have gathered. */
const LOG_FLUSH_INTERVAL_MS = 500;

type Destination = ReturnType<typeof pino.destination>;
let stdout: Destination | undefined;

/**
 * Standard output, written synchronously in blocks: one write(2) per ~25 request lines on the event
 * loop, instead of one per line handed to libuv's threadpool (which cost a thread switch each, ~8 %
 * of a cheap request's CPU, and took those threads from bcrypt and token signing). What has gathered
 * is written every LOG_FLUSH_INTERVAL_MS, at once after Nest's own messages (PinoNestLogger), and
 * when the process exits. One per process, whatever number of apps it builds (tests build many).
 */
export function logDestination(): Destination {
  if (!stdout) {
    const destination = pino.destination({ dest: 1, sync: true, minLength: LOG_BUFFER_BYTES, periodicFlush: LOG_FLUSH_INTERVAL_MS });
    // pino registers its own exit flush only for asynchronous destinations.
    process.once('exit', () => destination.flush());
    stdout = destination;
  }
  return stdout;
}

export function createLogger(env: Pick<Environment, 'LOG_LEVEL'>, destination: DestinationStream = logDestination()): Logger {
  return pino({ level: env.LOG_LEVEL, redact: { paths: REDACT, censor: '[redacted]' } }, destination);
}

/** Nest's own messages (start-up, errors) through the same structured logger as the requests. */
export class PinoNestLogger implements LoggerService {
  /** `destination` is the logger's: what it has gathered is written after each of these messages, which are rare and wanted at once. */
  constructor(
    private readonly logger: Logger,
    private readonly destination: { flush?: () => void },
  ) {}

  log(message: unknown, context?: string) {
    this.logger.info({ context }, String(message));
    this.flush();
  }
  error(message: unknown, trace?: string, context?: string) {
    this.logger.error({ context, trace }, String(message));
    this.flush();
  }
  warn(message: unknown, context?: string) {
    this.logger.warn({ context }, String(message));
    this.flush();
  }
  debug(message: unknown, context?: string) {
    this.logger.debug({ context }, String(message));
    this.flush();
  }
  verbose(message: unknown, context?: string) {
    this.logger.trace({ context }, String(message));
    this.flush();
  }
  fatal(message: unknown, context?: string) {
    this.logger.fatal({ context }, String(message));
    this.flush();
  }

  // SonicBoom's own flush() without a callback: pino's logger.flush() passes one, which fsyncs.
  private flush(): void {
    this.destination.flush?.();
  }
}
