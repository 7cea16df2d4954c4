import { Logger } from '@nestjs/common';
import type { JWK } from 'jose';
import type { Environment } from '../../config/environment.js';
import { generateMissingKeys, KeyFileError, loadKeyRing, missingKeyFiles, type KeyRing } from './key-files.js';

/** The loaded, parsed keys: tokens are signed and verified against these KeyObjects, never PEM strings. */
export class KeyStore {
  constructor(
    readonly access: KeyRing,
    readonly refresh: KeyRing,
  ) {}

  /** Public keys that verify access tokens. The refresh keys are never published. */
  get jwks(): { keys: JWK[] } {
    return { keys: this.access.jwks };
  }

  static async load(env: Pick<Environment, 'KEYS_DIR' | 'NODE_ENV'>): Promise<KeyStore> {
    const dir = env.KEYS_DIR;
    if (env.NODE_ENV === 'production') {
      const missing = await missingKeyFiles(dir);
      if (missing.length > 0) {
        throw new KeyFileError(
          `missing key files ${missing.join(', ')}; production never generates keys, run \`npm run keys:generate\``,
        );
      }
    } else {
      const written = await generateMissingKeys(dir);
      if (written.length > 0) new Logger('Keys').warn(`generated new ${written.join(' and ')} key pairs in ${dir}`);
    }
    return new KeyStore(await loadKeyRing(dir, 'access'), await loadKeyRing(dir, 'refresh'));
  }
}
