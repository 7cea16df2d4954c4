import { type ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import { IS_PUBLIC } from '../decorators/public.decorator.js';
import { ACCESS_STRATEGY } from '../strategies/access-token.strategy.js';
import { REFRESH_STRATEGY } from '../strategies/refresh-token.strategy.js';

/** Any failed check is the same 401: which one failed is never said. Infrastructure errors stay 5xx. */
function handle<T>(error: unknown, user: T | false): T {
  if (error && !(error instanceof HttpException)) throw error;
  if (error || !user) throw new InvalidTokenException();
  return user;
}

/** The global guard: every route needs a live access token unless it is marked @Public(). */
@Injectable()
export class AccessTokenGuard extends AuthGuard(ACCESS_STRATEGY) {
  /** @Public() per controller and handler, read from the metadata once rather than on every request. */
  private readonly publicRoutes = new WeakMap<object, WeakMap<object, boolean>>();

  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
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

  override handleRequest<T>(error: unknown, user: T | false): T {
    return handle(error, user);
  }
}

@Injectable()
export class RefreshTokenGuard extends AuthGuard(REFRESH_STRATEGY) {
  override handleRequest<T>(error: unknown, user: T | false): T {
    return handle(error, user);
  }
}
