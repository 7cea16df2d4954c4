import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { sendPage } from './page-security.js';
import { views } from './views.js';

/**
 * A refusal on a page route (the rate limit's 429, a malformed request) answers a page that says
 * it in words, with the same status, rather than the API's JSON.
 */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Pages');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const retryAfter = reply.getHeader('retry-after');
      const message =
        status === 429
          ? `Too many requests from your address; please try again in ${String(retryAfter ?? 'a few')} seconds.`
          : status < 500
            ? 'This request could not be understood; please use the form on the page again.'
            : 'The service could not answer; please try again in a moment.';
      return sendPage(reply, views.problem(status, message), status);
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    sendPage(reply, views.problem(500, 'The service could not answer; please try again in a moment.'), 500);
  }
}
