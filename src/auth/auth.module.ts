import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitStorage } from '../common/rate-limit/rate-limit.storage.js';
import type { Environment } from '../config/environment.js';
import { User } from '../users/entities/user.entity.js';
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
    TypeOrmModule.forFeature([User]),
    PassportModule,
    // Keys and algorithm are passed per call (TokenService): nothing here to fall back on.
    JwtModule.register({}),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, RateLimitStorage],
      useFactory: (config: ConfigService<Environment, true>, storage: RateLimitStorage) => ({
        // Counters every instance shares (Postgres, or Redis with REDIS_URL).
        storage,
        throttlers: [
          {
            ttl: config.get('AUTH_RATE_TTL', { infer: true }) * 1000,
            limit: config.get('AUTH_RATE_LIMIT', { infer: true }),
          },
        ],
      }),
    }),
  ],
  controllers: [AuthController, JwksController],
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
  exports: [TokenService, PasswordService, SessionsService, RefreshCookie],
})
export class AuthModule {}
