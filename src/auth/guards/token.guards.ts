import { type ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { InvalidTokenException } from '../invalid-token.exception.js';
import type { AuthUser } from '../decorators/current-user.decorator.js';
import { IS_PUBLIC } from '../../common/public.decorator.js';
import { JWT_ACCESS, JWT_REFRESH } from '../strategies/jwt.strategy.js';
import { PASETO_ACCESS, PASETO_REFRESH } from '../strategies/paseto.strategy.js';
import { VerifiedAccess } from '../strategies/verified-access.js';
import { bearerToken } from '../../common/bearer.js';

/**
 * Any refusal by every strategy is the same 401, which check failed is never said (RFC 6750 §3.1).
 * Errors that are not about the token (the database down while checking the session) stay what
 * they are, so they answer 503 rather than 401.
 */
function tokenOrRefusal<T>(error: unknown, user: T | false | null | undefined): T {
  // Not `instanceof Error`: errors raised inside node (a dropped connection) may come from another realm (Jest's).
  if (error && !(error instanceof HttpException)) throw error as Error;
  if (error || !user) throw new InvalidTokenException();
  return user;
}

/**
 * The global guard: every route needs a live access token, JWT or PASETO, unless it is marked
 * @Public(). A token a strategy accepted before is answered from VerifiedAccess without passport;
 * any other goes through the strategies, which read it through TokenText (one spelling only).
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard([JWT_ACCESS, PASETO_ACCESS]) {
  /** @Public() per controller and handler, read from the metadata once rather than on every request. */
  private readonly publicRoutes = new WeakMap<object, WeakMap<object, boolean>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly access: VerifiedAccess,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.isPublic(context)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new InvalidTokenException();
    // Looked up before the spelling is checked: only a strategy's canonical text was ever remembered,
    // keyed by its exact text, so a hit is that very text; any other spelling misses and is checked.
    const remembered = this.access.remembered(token);
    if (remembered) {
      request.user = await this.access.user(remembered);
      return true;
    }
    // The strategies read the token through TokenText, which refuses any other spelling.
    return super.canActivate(context) as Promise<boolean>;
  }

  override handleRequest<T>(error: unknown, user: T | false): T {
    return tokenOrRefusal(error, user);
  }

  private isPublic(context: ExecutionContext): boolean {
    const [handler, controller] = [context.getHandler(), context.getClass()];
    let handlers = this.publicRoutes.get(controller);
    if (!handlers) this.publicRoutes.set(controller, (handlers = new WeakMap()));
    let isPublic = handlers.get(handler);
    if (isPublic === undefined) {
      isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true;
      handlers.set(handler, isPublic);
    }
    return isPublic;
  }
}

/** A refresh token, JWT or PASETO, from the body or the cookie; the route's handler spends it. */
@Injectable()
export class RefreshTokenGuard extends AuthGuard([JWT_REFRESH, PASETO_REFRESH]) {
  override handleRequest<T>(error: unknown, user: T | false): T {
    return tokenOrRefusal(error, user);
  }
}
