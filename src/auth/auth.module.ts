import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { RateLimitStorage } from '../common/rate-limit/rate-limit.storage.js';
import type { Environment } from '../config/environment.js';
import { EventsModule } from '../events/events.module.js';
import { MailModule } from '../notifications/mail/mail.module.js';
import { AccountController } from './account.controller.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AuthThrottlerGuard } from './guards/auth-throttler.guard.js';
import { AccessTokenGuard, RefreshTokenGuard } from './guards/token.guards.js';
import { JwksController } from './jwks.controller.js';
import { PasswordService } from './password.service.js';
import { RecoveryController } from './recovery.controller.js';
import { RecoveryLinks } from './recovery/recovery-links.js';
import { RefreshCookie } from './refresh-cookie.js';
import { SessionStateCache } from './sessions/session-state.cache.js';
import { SessionsService } from './sessions/sessions.service.js';
import { AccessTokenStrategy } from './strategies/access-token.strategy.js';
import { RefreshTokenStrategy } from './strategies/refresh-token.strategy.js';
import { tokenMakerProviders } from './tokens/token-makers.providers.js';
import { TokenService } from './tokens/token.service.js';

@Module({
  imports: [
    MailModule,
    EventsModule,
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
  controllers: [AuthController, AccountController, JwksController, RecoveryController],
  providers: [
    ...tokenMakerProviders,
    TokenService,
    PasswordService,
    SessionStateCache,
    SessionsService,
    AuthService,
    RecoveryLinks,
    AccessTokenStrategy,
    RefreshTokenStrategy,
    RefreshTokenGuard,
    AuthThrottlerGuard,
    RefreshCookie,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
})
export class AuthModule {}
