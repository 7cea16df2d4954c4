import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
export const MFA_KEY_BYTES = 32;
/** NIST SP 800-38D §8.2: a random 96-bit IV per message. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** Names a key without revealing it: the start of its SHA-256, base64url. */
export function mfaKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 12);
}

/**
 * AES-256-GCM for secrets at rest (the TOTP secrets). A sealed value is
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` (base64url parts): it names the key that sealed it, so a
 * new key can be introduced while values sealed under the old one still open. The context (the
 * owner's id) is authenticated data: a value copied to another row does not open there.
 */
export class SecretBox {
  private readonly keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  /** `current` seals; it and every one of `others` open. */
  constructor(
    private readonly current: Buffer,
    others: readonly Buffer[] = [],
  ) {
    for (const key of [current, ...others]) {
      if (key.length !== MFA_KEY_BYTES) throw new SecretBoxError(`an encryption key must be ${MFA_KEY_BYTES} bytes`);
    }
    this.currentKeyId = mfaKeyId(current);
    this.keys = new Map([...others, current].map((key) => [mfaKeyId(key), key]));
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
    return [VERSION, this.currentKeyId, ...parts].join('.');
  }

  /** The plaintext, or a SecretBoxError when the value is malformed, its key unknown or it was altered. */
  open(sealed: string, context: string): string {
    const [version, keyId, iv, ciphertext, tag, extra] = sealed.split('.');
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (version !== VERSION || extra !== undefined || !iv || !ciphertext || !tag) throw new SecretBoxError('not a sealed value');
    if (!key) throw new SecretBoxError(`sealed under key ${keyId}, which is not configured`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError('the sealed value does not authenticate');
    }
  }

  /** Whether `sealed` was sealed under an older key (then it should be sealed again). */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.currentKeyId;
  }
}
