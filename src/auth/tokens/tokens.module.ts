import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule, JwtService } from '@nestjs/jwt';
import type { Environment } from '../../config/environment.js';
import { JwtMaker } from './jwt.maker.js';
import { JwtOptions } from './jwt.options.js';
import { KeyStore } from './key-store.js';
import { PasetoMaker } from './paseto.maker.js';
import { TOKEN_MAKER, type TokenPurpose } from './token-maker.js';
import { TokenService } from './token.service.js';
import { TokenText } from './token-text.js';

/** The PASETO maker, or null when no PASETO keys are present (then no PASETO verifies). */
export const PASETO_MAKER = Symbol('PASETO_MAKER');

const lifetimes = (config: ConfigService<Environment, true>): Record<TokenPurpose, number> => ({
  access: config.get('JWT_ACCESS_TTL', { infer: true }),
  refresh: config.get('JWT_REFRESH_TTL', { infer: true }),
});

/** The loaded keys and everything built from them alone: the JWT options, the PASETO maker, the token text rules. */
@Module({
  providers: [
    {
      provide: KeyStore,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        KeyStore.load({
          KEYS_DIR: config.get('KEYS_DIR', { infer: true }),
          NODE_ENV: config.get('NODE_ENV', { infer: true }),
          TOKEN_FORMAT: config.get('TOKEN_FORMAT', { infer: true }),
        }),
    },
    {
      provide: JwtOptions,
      inject: [KeyStore, ConfigService],
      useFactory: (keys: KeyStore, config: ConfigService<Environment, true>) =>
        new JwtOptions(keys.jwt, config.get('JWT_ISSUER', { infer: true }), config.get('JWT_AUDIENCE', { infer: true }), lifetimes(config)),
    },
    {
      provide: PASETO_MAKER,
      inject: [KeyStore, ConfigService],
      useFactory: (keys: KeyStore, config: ConfigService<Environment, true>) =>
        keys.paseto
          ? PasetoMaker.create(keys.paseto, {
              issuer: config.get('JWT_ISSUER', { infer: true }),
              audience: config.get('JWT_AUDIENCE', { infer: true }),
              lifetimes: lifetimes(config),
            })
          : null,
    },
    {
      provide: TokenText,
      inject: [JwtOptions],
      useFactory: (jwt: JwtOptions) => new TokenText({ access: jwt.signatureLengths('access'), refresh: jwt.signatureLengths('refresh') }),
    },
  ],
  exports: [KeyStore, JwtOptions, PASETO_MAKER, TokenText],
})
export class TokenKeysModule {}

/** Tokens: JwtModule under JwtOptions, the maker of TOKEN_FORMAT, and TokenService, which issues pairs. */
@Module({
  imports: [
    TokenKeysModule,
    JwtModule.registerAsync({ imports: [TokenKeysModule], inject: [JwtOptions], useFactory: (options: JwtOptions) => options.module }),
  ],
  providers: [
    {
      provide: TOKEN_MAKER,
      inject: [ConfigService, JwtService, JwtOptions, PASETO_MAKER],
      // KeyStore.load always loads (or refuses to start without) the keys of the format in use.
      useFactory: (config: ConfigService<Environment, true>, jwt: JwtService, options: JwtOptions, paseto: PasetoMaker | null) =>
        config.get('TOKEN_FORMAT', { infer: true }) === 'paseto' ? paseto! : new JwtMaker(jwt, options),
    },
    TokenService,
  ],
  exports: [TokenKeysModule, JwtModule, TokenService],
})
export class TokensModule {}
