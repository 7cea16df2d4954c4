import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { REFRESH_COOKIE } from '../refresh-cookie.js';
import { type RefreshClaims, TokenService } from '../tokens/token.service.js';

export const REFRESH_STRATEGY = 'refresh-token';

const fromCookie = (request: FastifyRequest): string | null => request.cookies?.[REFRESH_COOKIE] ?? null;

/** Verifies the signature and claims; spending the token (rotation, reuse) is AuthService.refresh's. */
@Injectable()
export class RefreshTokenStrategy extends PassportStrategy(Strategy, REFRESH_STRATEGY) {
  constructor(private readonly tokens: TokenService) {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([ExtractJwt.fromBodyField('refreshToken'), fromCookie]),
      secretOrKeyProvider: tokens.keyProvider('refresh'),
      ...tokens.verifyOptions('refresh'),
    });
  }

  validate(payload: unknown): RefreshClaims {
    return this.tokens.checkClaims(payload, 'refresh');
  }
}
