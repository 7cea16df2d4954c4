import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy } from 'passport-custom';
import type { AuthUser } from '../decorators/current-user.decorator.js';
import type { PasetoMaker } from '../tokens/paseto.maker.js';
import type { RefreshClaims } from '../tokens/token-maker.js';
import { TokenText } from '../tokens/token-text.js';
import { PASETO_MAKER } from '../tokens/tokens.module.js';
import { VerifiedAccess } from './verified-access.js';

export const PASETO_ACCESS = 'paseto-access';
export const PASETO_REFRESH = 'paseto-refresh';

/** Access tokens in the header, verified by panva's `paseto` (PasetoMaker.verify). */
@Injectable()
export class PasetoAccessStrategy extends PassportStrategy(Strategy, PASETO_ACCESS) {
  constructor(
    @Inject(PASETO_MAKER) private readonly paseto: PasetoMaker | null,
    private readonly text: TokenText,
    private readonly access: VerifiedAccess,
  ) {
    super();
  }

  /** Returning null fails this strategy (not a PASETO, or not a valid one). */
  async validate(request: FastifyRequest): Promise<AuthUser | null> {
    const token = this.text.bearer(request);
    const claims = token ? await this.paseto?.verify(token, 'access') : undefined;
    return claims ? this.access.accepted(token!, claims) : null;
  }
}

/** Refresh tokens in the body or the cookie; spending them is AuthService.refresh's. */
@Injectable()
export class PasetoRefreshStrategy extends PassportStrategy(Strategy, PASETO_REFRESH) {
  constructor(
    @Inject(PASETO_MAKER) private readonly paseto: PasetoMaker | null,
    private readonly text: TokenText,
  ) {
    super();
  }

  async validate(request: FastifyRequest): Promise<RefreshClaims | null> {
    const token = this.text.refresh(request);
    return (token && (await this.paseto?.verify(token, 'refresh'))) || null;
  }
}
