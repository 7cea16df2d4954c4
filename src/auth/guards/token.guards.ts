import { type CanActivate, type ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import { IS_PUBLIC } from '../decorators/public.decorator.js';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy.js';
import { REFRESH_STRATEGY } from '../strategies/refresh-token.strategy.js';

type Middleware = (request: unknown, reply: unknown, next: (error?: unknown) => void) => void;

/**
 * Runs one of the passport strategies (strategies/) through passport's own `authenticate`
 * middleware, built once per guard, the way an Express app mounts it, rather than once per request
 * as @nestjs/passport's AuthGuard does (a new middleware, options object and callback chain on
 * every request: ~2.5 KB of garbage per request on the hottest path). Stateless: no session, no
 * auth-info transformers, and with `failWithError` a failure reaches `next` as an error instead of
 * passport ending the response. (Our strategies never fail that way: `validate` returns a user or
 * throws, and a throw reaches `next` as the error itself. A strategy that did fail would have passport
 * set the reply's status first, which the exception filter then replaces.)
 *
 * Any failed check is the same 401: which one failed is never said. Infrastructure errors (the
 * database down) stay 5xx.
 */
abstract class PassportGuard implements CanActivate {
  private readonly authenticate: Middleware;

  protected constructor(strategy: string) {
    this.authenticate = passport.authenticate(strategy, { session: false, authInfo: false, failWithError: true }) as Middleware;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const http = context.switchToHttp();
    // What the strategy's validate returned (an AuthUser, or the refresh claims): only its presence counts here.
    const request = http.getRequest<{ user?: unknown }>();
    return new Promise((resolve, reject) => {
      this.authenticate(request, http.getResponse(), (error?: unknown) => {
        if (!error && request.user) return resolve(true);
        // Not `instanceof Error`: errors raised inside node (a dropped connection) may come from
        // another realm (Jest's). passport's own failure (failWithError) is not an HttpException either.
        const infrastructure = !!error && !(error instanceof HttpException) && (error as { name?: unknown }).name !== 'AuthenticationError';
        reject(infrastructure ? error : new InvalidTokenException());
      });
    });
  }
}

/** The global guard: every route needs a live access token unless it is marked @Public(). */
@Injectable()
export class AccessTokenGuard extends PassportGuard {
  /** @Public() per controller and handler, read from the metadata once rather than on every request. */
  private readonly publicRoutes = new WeakMap<object, WeakMap<object, boolean>>();

  constructor(private readonly reflector: Reflector) {
    super(ACCESS_STRATEGY);
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const [handler, controller] = [context.getHandler(), context.getClass()];
    let handlers = this.publicRoutes.get(controller);
    if (!handlers) this.publicRoutes.set(controller, (handlers = new WeakMap()));
    let isPublic = handlers.get(handler);
    if (isPublic === undefined) {
      isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true;
      handlers.set(handler, isPublic);
    }
    return isPublic || super.canActivate(context);
  }
}

@Injectable()
export class RefreshTokenGuard extends PassportGuard {
  constructor() {
    super(REFRESH_STRATEGY);
  }
}
