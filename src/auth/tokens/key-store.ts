import { Logger } from '@nestjs/common';
import { hkdfSync } from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import type { Environment } from '../../config/environment.js';
import {
  generateMissingKeys,
  hasKeyFiles,
  k4Public,
  KeyFileError,
  loadKeyRing,
  missingKeyFiles,
  type KeyPurpose,
  type KeyRing,
  TOKEN_FORMATS,
  type TokenFormat,
} from './key-files.js';

export type KeyRings = Readonly<Record<KeyPurpose, KeyRing>>;

export interface PaserkKey {
  kid: string;
  paserk: string;
}

/**
 * The loaded, parsed keys of every format whose files are present: tokens are signed and verified
 * against these KeyObjects, never PEM strings. The format in use always has keys; the other one
 * has them when tokens issued in it may still be around.
 */
export class KeyStore {
  /** Public JWKs of the RS256 access keys, current first. The refresh keys are never published. */
  readonly jwks: { keys: JWK[] };
  /** PASERKs of the v4.public access keys, current first. */
  readonly paserk: { keys: PaserkKey[] };

  private constructor(
    readonly rings: Readonly<Partial<Record<TokenFormat, KeyRings>>>,
    jwks: JWK[],
  ) {
    this.jwks = { keys: jwks };
    this.paserk = {
      keys: [...(rings.paseto?.access.verifying ?? [])].map(([kid, key]) => ({ kid, paserk: k4Public(key) })),
    };
  }

  get jwt(): KeyRings | undefined {
    return this.rings.jwt;
  }

  get paseto(): KeyRings | undefined {
    return this.rings.paseto;
  }

  /**
   * A 32-byte secret for `purpose` (RFC 5869 HKDF-SHA256 over the current refresh private key), so
   * a feature that needs a server-side secret (page cursors) needs no key file of its own. Every
   * instance sharing KEYS_DIR derives the same one; `npm run keys:rotate` replaces it too.
   */
  derive(purpose: string): Buffer {
    const ring = this.rings.jwt ?? this.rings.paseto;
    if (!ring) throw new KeyFileError('no keys loaded to derive a secret from');
    const material = ring.refresh.privateKey.export({ format: 'der', type: 'pkcs8' });
    return Buffer.from(hkdfSync('sha256', material, 'todo-api', purpose, 32));
  }

  static async load(env: Pick<Environment, 'KEYS_DIR' | 'NODE_ENV'> & Partial<Pick<Environment, 'TOKEN_FORMAT'>>): Promise<KeyStore> {
    const dir = env.KEYS_DIR;
    const inUse = env.TOKEN_FORMAT ?? 'jwt';
    if (env.NODE_ENV === 'production') {
      const missing = await missingKeyFiles(dir, inUse);
      if (missing.length > 0) {
        throw new KeyFileError(
          `missing key files ${missing.join(', ')}; production never generates keys, run \`TOKEN_FORMAT=${inUse} npm run keys:generate\``,
        );
      }
    } else {
      const written = await generateMissingKeys(dir, inUse);
      // Expected on a first start outside production: information, not a warning.
      if (written.length > 0) new Logger('Keys').log(`generated new ${inUse} ${written.join(' and ')} key pairs in ${dir}`);
    }
    const rings: Partial<Record<TokenFormat, KeyRings>> = {};
    for (const format of TOKEN_FORMATS) {
      if (format !== inUse && !(await hasKeyFiles(dir, format))) continue;
      rings[format] = { access: await loadKeyRing(dir, 'access', format), refresh: await loadKeyRing(dir, 'refresh', format) };
    }
    const jwks = await Promise.all(
      [...(rings.jwt?.access.verifying ?? [])].map(async ([kid, key]) => {
        const { kty, n, e } = await exportJWK(key);
        return { kty, use: 'sig', alg: 'RS256', kid, n, e };
      }),
    );
    return new KeyStore(rings, jwks);
  }
}
