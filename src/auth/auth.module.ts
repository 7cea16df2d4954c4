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
import { PasskeysController } from './passkeys/passkeys.controller.js';
import { PasskeysService } from './passkeys/passkeys.service.js';
import { MfaController } from './mfa/mfa.controller.js';
import { MfaService } from './mfa/mfa.service.js';
import { loadSecretBox } from './mfa/mfa-keys.js';
import { SecretBox } from './mfa/secret-box.js';
import { PasswordService } from './password.service.js';
import { RecoveryController } from './recovery.controller.js';
import { RecoveryLinks } from './recovery/recovery-links.js';
import { RefreshCookie } from './refresh-cookie.js';
import { SessionStateCache } from './sessions/session-state.cache.js';
import { SessionsService } from './sessions/sessions.service.js';
import { JwtAccessStrategy, JwtRefreshStrategy } from './strategies/jwt.strategy.js';
import { PasetoAccessStrategy, PasetoRefreshStrategy } from './strategies/paseto.strategy.js';
import { VerifiedAccess } from './strategies/verified-access.js';
import { TokensModule } from './tokens/tokens.module.js';

@Module({
  imports: [
    MailModule,
    TokensModule,
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
  controllers: [AuthController, AccountController, JwksController, RecoveryController, PasskeysController, MfaController],
  providers: [
    PasswordService,
    SessionStateCache,
    SessionsService,
    AuthService,
    RecoveryLinks,
    PasskeysService,
    VerifiedAccess,
    JwtAccessStrategy,
    JwtRefreshStrategy,
    PasetoAccessStrategy,
    PasetoRefreshStrategy,
    {
      provide: SecretBox,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        loadSecretBox({
          KEYS_DIR: config.get('KEYS_DIR', { infer: true }),
          NODE_ENV: config.get('NODE_ENV', { infer: true }),
          MFA_ENCRYPTION_KEY: config.get('MFA_ENCRYPTION_KEY', { infer: true }),
          MFA_ENCRYPTION_KEYS_RETIRED: config.get('MFA_ENCRYPTION_KEYS_RETIRED', { infer: true }),
        }),
    },
    MfaService,
    RefreshTokenGuard,
    AuthThrottlerGuard,
    RefreshCookie,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  // The pages (src/pages) call the same services as the API; other features derive their
  // server-side secrets (page cursors) from the loaded keys.
  exports: [AuthService, RecoveryLinks, AuthThrottlerGuard, TokensModule],
})
export class AuthModule {}
