import { Controller, Get, Post, Req, UseGuards } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../src/common/public.decorator.js';
import { AccessTokenGuard, RefreshTokenGuard } from '../../src/auth/guards/token.guards.js';
import { SessionStateCache } from '../../src/auth/sessions/session-state.cache.js';
import { JwtAccessStrategy, JwtRefreshStrategy } from '../../src/auth/strategies/jwt.strategy.js';
import { PasetoAccessStrategy, PasetoRefreshStrategy } from '../../src/auth/strategies/paseto.strategy.js';
import { VerifiedAccess } from '../../src/auth/strategies/verified-access.js';
import type { TokenClaims, TokenFormat, TokenPurpose } from '../../src/auth/tokens/token-maker.js';
import { JwtMaker } from '../../src/auth/tokens/jwt.maker.js';
import { JwtOptions } from '../../src/auth/tokens/jwt.options.js';
import type { PasetoMaker } from '../../src/auth/tokens/paseto.maker.js';
import { TokenText } from '../../src/auth/tokens/token-text.js';
import { TokenService } from '../../src/auth/tokens/token.service.js';
import { PASETO_MAKER, TokensModule } from '../../src/auth/tokens/tokens.module.js';
import { AllExceptionsFilter } from '../../src/common/all-exceptions.filter.js';
import { InvalidTokenException } from '../../src/auth/invalid-token.exception.js';
import { type Environment, validateEnvironment } from '../../src/config/environment.js';

/** Access: the claims the guard let through (as VerifiedAccess remembered them). Refresh: the strategy's claims. */
@Controller('probe')
class ProbeController {
  constructor(
    private readonly access: VerifiedAccess,
    private readonly text: TokenText,
  ) {}

  @Get('access')
  accessClaims(@Req() request: FastifyRequest): object {
    return this.access.remembered(this.text.bearer(request)!) ?? { remembered: false };
  }

  @Public()
  @UseGuards(RefreshTokenGuard)
  @Post('refresh')
  refreshClaims(@Req() request: FastifyRequest & { user: unknown }): unknown {
    return request.user;
  }
}

export interface GuardedTokens {
  app: NestFastifyApplication;
  /** A TokenService issuing in `format` (its keys must be in KEYS_DIR). */
  issuer(format: TokenFormat): TokenService;
  access: VerifiedAccess;
  /** Sessions the fake session check calls revoked (the real one is SessionStateCache, tested end to end). */
  revokedSessions: Set<string>;
  /** What the guards do with `token` as `purpose`: its claims, or an InvalidTokenException (the 401 every refusal is). */
  verify<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P>>;
  close(): Promise<void>;
}

/**
 * The token guards and strategies exactly as AuthModule wires them, in front of two probe routes,
 * with keys from `KEYS_DIR`; only the session check answers from memory instead of the database.
 * One at a time: passport's strategies are registered by name in one registry per process.
 */
export async function guardedTokens(
  env: Partial<Record<keyof Environment, string>> & { KEYS_DIR: string; TOKEN_FORMAT: TokenFormat },
): Promise<GuardedTokens> {
  const validated = validateEnvironment({ NODE_ENV: 'test', ...env });
  const revokedSessions = new Set<string>();
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, skipProcessEnv: true, load: [() => ({ ...validated })] }),
      TokensModule,
    ],
    controllers: [ProbeController],
    providers: [
      { provide: SessionStateCache, useValue: { isActive: async (sid: string) => !revokedSessions.has(sid) } },
      VerifiedAccess,
      JwtAccessStrategy,
      JwtRefreshStrategy,
      PasetoAccessStrategy,
      PasetoRefreshStrategy,
      RefreshTokenGuard,
      { provide: APP_GUARD, useClass: AccessTokenGuard },
      { provide: APP_FILTER, useClass: AllExceptionsFilter },
    ],
  }).compile();
  const app = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();

  async function verify<P extends TokenPurpose>(token: string, purpose: P): Promise<TokenClaims<P>> {
    const response = await app.inject(
      purpose === 'access'
        ? { method: 'GET', url: '/probe/access', headers: { authorization: `Bearer ${token}` } }
        : { method: 'POST', url: '/probe/refresh', payload: { refreshToken: token } },
    );
    if (response.statusCode === 401 && response.headers['www-authenticate'] === 'Bearer error="invalid_token"')
      throw new InvalidTokenException();
    if (response.statusCode !== 200 && response.statusCode !== 201) throw new Error(`unexpected ${response.statusCode}: ${response.body}`);
    return response.json();
  }

  const config = app.get<ConfigService<Environment, true>>(ConfigService);
  const issuer = (format: TokenFormat) =>
    new TokenService(
      format === 'jwt' ? new JwtMaker(app.get(JwtService), app.get(JwtOptions)) : app.get<PasetoMaker>(PASETO_MAKER),
      config,
    );
  return { app, issuer, access: app.get(VerifiedAccess), revokedSessions, verify, close: () => app.close() };
}
