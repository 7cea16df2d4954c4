import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-jwt';
import type { AuthUser } from '../decorators/current-user.decorator.js';
import { JwtOptions } from '../tokens/jwt.options.js';
import { checkClaims, type RefreshClaims, type TokenPurpose } from '../tokens/token-maker.js';
import { TokenText } from '../tokens/token-text.js';
import { VerifiedAccess } from './verified-access.js';

export const JWT_ACCESS = 'jwt-access';
export const JWT_REFRESH = 'jwt-refresh';

/** Registered claims as jsonwebtoken hands them over, verified. */
interface JwtPayload {
  exp?: number;
  iat?: number;
}

/**
 * When this service stops accepting the token, in ms: its `exp`, or `iat` plus the lifetime when
 * that is sooner (jsonwebtoken's `maxAge` refuses the token then). NaN without `exp`: such a token
 * has no end and checkClaims refuses it.
 */
const expiresAt = ({ exp, iat }: JwtPayload, lifetime: number) => Math.min(exp ?? NaN, (iat ?? NaN) + lifetime) * 1000;

const claimsOf = <P extends TokenPurpose>(payload: JwtPayload, purpose: P, options: JwtOptions) =>
  checkClaims(payload, purpose, expiresAt(payload, options.lifetimes[purpose]));

/** Access tokens in the header: passport-jwt under JwtOptions (RS256 pinned, `kid`, `iss`, `aud`, `exp`, age). */
@Injectable()
export class JwtAccessStrategy extends PassportStrategy(Strategy, JWT_ACCESS) {
  constructor(
    private readonly options: JwtOptions,
    private readonly text: TokenText,
    private readonly access: VerifiedAccess,
  ) {
    super(options.strategy('access', (request) => text.bearer(request as FastifyRequest) ?? null));
  }

  /** Returning null fails this strategy, so the guard tries the next format. */
  async validate(request: FastifyRequest, payload: JwtPayload): Promise<AuthUser | null> {
    const claims = claimsOf(payload, 'access', this.options);
    return claims ? this.access.accepted(this.text.bearer(request)!, claims) : null;
  }
}

/** Refresh tokens in the body or the cookie; spending them is AuthService.refresh's. */
@Injectable()
export class JwtRefreshStrategy extends PassportStrategy(Strategy, JWT_REFRESH) {
  constructor(
    private readonly options: JwtOptions,
    text: TokenText,
  ) {
    super(options.strategy('refresh', (request) => text.refresh(request as FastifyRequest) ?? null));
  }

  validate(_request: FastifyRequest, payload: JwtPayload): RefreshClaims | null {
    return claimsOf(payload, 'refresh', this.options) ?? null;
  }
}
