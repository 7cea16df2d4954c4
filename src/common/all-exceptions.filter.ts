import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger, Optional } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { LimitExceededException } from './rate-limit/limits.service.js';
import { isAuthenticationChallenge } from './www-authenticate.js';
import { DATABASE_RETRY_AFTER_SECONDS, DatabaseOutage, isDatabaseUnavailable } from '../database/database-outage.js';

interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error?: string;
  [extra: string]: unknown;
}

/**
 * Every error leaves in Nest's shape `{ statusCode, message, error }`. A database out of reach is
 * the service being temporarily unavailable, not a bug: 503 with Retry-After, logged once per
 * outage (DatabaseOutage). Anything else that is not an HttpException is logged and answered as a
 * bare 500, never with its message, stack or SQL.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  constructor(@Optional() private readonly outage?: DatabaseOutage) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    let body: ErrorBody;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      body = typeof response === 'string' ? { statusCode: status, message: response } : ({ statusCode: status, ...response } as ErrorBody);
      body.error ??= STATUS_CODES[status];
      if (isAuthenticationChallenge(exception)) {
        void reply.header('WWW-Authenticate', exception.wwwAuthenticate);
      } else if (exception instanceof LimitExceededException) {
        void reply.header('Retry-After', String(exception.retryAfterSeconds));
      }
    } else if (isDatabaseUnavailable(exception)) {
      this.outage?.report(exception);
      void reply.header('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      body = {
        statusCode: 503,
        message: 'Service temporarily unavailable: the database cannot be reached; retry after the time in Retry-After',
        error: STATUS_CODES[503],
      };
    } else {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
      body = { statusCode: 500, message: 'Internal server error', error: STATUS_CODES[500] };
    }
    void reply.status(body.statusCode).send(body);
  }
}
