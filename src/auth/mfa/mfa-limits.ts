import { type CallHandler, type ExecutionContext, HttpException, HttpStatus, Injectable, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { catchError, type Observable, throwError } from 'rxjs';

/**
 * What a client can do how often with second factors (API.md, Abuse limits). The per-user count
 * lives in user_totp (MFA.takeAttempt) so that every instance shares it; a shared limiter can take
 * its place behind MfaService.takeAttempt / refundAttempt.
 */
export const MFA_LIMITS = {
  /** Wrong codes (TOTP or recovery) per user per window, on every route that checks one; then 429. */
  wrongCodesPerUser: 5,
  wrongCodesWindowSeconds: 15 * 60,
  /** Codes tried with one mfaToken, the right one included; then the token is dead. */
  attemptsPerMfaToken: 5,
  /** Lifetime of an mfaToken. */
  mfaTokenTtlSeconds: 5 * 60,
} as const;

/** The per-user limit on wrong codes holds: retry after `retryAfterSeconds`. */
export class TooManyCodesException extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many wrong codes for this account; retry after the time in Retry-After', HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Gives a TooManyCodesException its Retry-After header on the way out. */
@Injectable()
export class RetryAfterInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof TooManyCodesException) {
          void context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', String(error.retryAfterSeconds));
        }
        return throwError(() => error);
      }),
    );
  }
}
