import type { Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../config/environment.js';
import { JwtMaker, type MakerOptions } from './jwt.maker.js';
import { KeyStore } from './key-store.js';
import { PasetoMaker } from './paseto.maker.js';
import { TOKEN_MAKER, TOKEN_VERIFIERS, type TokenMaker } from './token-maker.js';

/** A maker for every format whose keys are loaded. */
export async function makersFor(keys: KeyStore, options: MakerOptions): Promise<TokenMaker[]> {
  const makers: TokenMaker[] = [];
  if (keys.jwt) makers.push(new JwtMaker(keys.jwt, options));
  if (keys.paseto) makers.push(await PasetoMaker.create(keys.paseto, options));
  return makers;
}

/** KeyStore, TOKEN_VERIFIERS and TOKEN_MAKER (the one for TOKEN_FORMAT), wired from config. */
export const tokenMakerProviders: Provider[] = [
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
    provide: TOKEN_VERIFIERS,
    inject: [KeyStore, ConfigService],
    useFactory: (keys: KeyStore, config: ConfigService<Environment, true>) =>
      makersFor(keys, {
        issuer: config.get('JWT_ISSUER', { infer: true }),
        audience: config.get('JWT_AUDIENCE', { infer: true }),
        maxAge: { access: config.get('JWT_ACCESS_TTL', { infer: true }), refresh: config.get('JWT_REFRESH_TTL', { infer: true }) },
      }),
  },
  {
    provide: TOKEN_MAKER,
    inject: [TOKEN_VERIFIERS, ConfigService],
    useFactory: (makers: TokenMaker[], config: ConfigService<Environment, true>) => {
      const format = config.get('TOKEN_FORMAT', { infer: true });
      // KeyStore.load always loads (or refuses to start without) the keys of the format in use.
      return makers.find((m) => m.format === format)!;
    },
  },
];
