import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Environment } from '../config/environment.js';
import { AccountController } from './account.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AuthThrottlerGuard } from './guards/auth-throttler.guard.js';
import { AccessTokenGuard, RefreshTokenGuard } from './guards/token.guards.js';
import { JwksController } from './jwks.controller.js';
import { PasswordService } from './password.service.js';
import { RefreshCookie } from './refresh-cookie.js';
import { SessionStateCache } from './sessions/session-state.cache.js';
import { SessionsService } from './sessions/sessions.service.js';
import { AccessTokenStrategy } from './strategies/access-token.strategy.js';
import { RefreshTokenStrategy } from './strategies/refresh-token.strategy.js';
import { KeyStore } from './tokens/key-store.js';
import { TokenService } from './tokens/token.service.js';

@Module({
  imports: [
    PassportModule,
    // Keys and algorithm are passed per call (TokenService): nothing here to fall back on.
    JwtModule.register({}),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        throttlers: [
          {
            ttl: config.get('AUTH_RATE_TTL', { infer: true }) * 1000,
            limit: config.get('AUTH_RATE_LIMIT', { infer: true }),
          },
        ],
      }),
    }),
  ],
  controllers: [AuthController, AccountController, JwksController],
  providers: [
    {
      provide: KeyStore,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        KeyStore.load({ KEYS_DIR: config.get('KEYS_DIR', { infer: true }), NODE_ENV: config.get('NODE_ENV', { infer: true }) }),
    },
    TokenService,
    PasswordService,
    SessionStateCache,
    SessionsService,
    AuthService,
    AccessTokenStrategy,
    RefreshTokenStrategy,
    RefreshTokenGuard,
    AuthThrottlerGuard,
    RefreshCookie,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
})
export class AuthModule {}
