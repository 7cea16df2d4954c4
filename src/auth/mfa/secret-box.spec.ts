import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyFileError } from '../tokens/key-files.js';
import { loadSecretBox, MFA_KEY_FILE } from './mfa-keys.js';
import { mfaKeyId, SecretBox, SecretBoxError } from './secret-box.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const USER = '11111111-1111-4111-8111-111111111111';

describe('SecretBox (AES-256-GCM)', () => {
  const key = randomBytes(32);

  it('seals to a value that names its key and holds nothing of the secret, and opens it again', () => {
    const box = new SecretBox(key);
    const sealed = box.seal(SECRET, USER);
    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed.split('.')[1]).toBe(mfaKeyId(key));
    expect(sealed).not.toContain(SECRET);
    expect(box.seal(SECRET, USER)).not.toBe(sealed);
    expect(box.open(sealed, USER)).toBe(SECRET);
  });

  it('refuses a value altered in any part, or moved to another owner', () => {
    const box = new SecretBox(key);
    const sealed = box.seal(SECRET, USER);
    const parts = sealed.split('.');
    for (const i of [2, 3, 4]) {
      const bytes = Buffer.from(parts[i], 'base64url');
      bytes[0] ^= 1;
      const altered = parts.with(i, bytes.toString('base64url')).join('.');
      expect(() => box.open(altered, USER)).toThrow(SecretBoxError);
    }
    expect(() => box.open(sealed, '22222222-2222-4222-8222-222222222222')).toThrow(SecretBoxError);
    expect(() => box.open('v1.nope', USER)).toThrow(SecretBoxError);
  });

  it('opens values sealed under an older key given beside the new one, and says they are stale', () => {
    const old = new SecretBox(key);
    const sealed = old.seal(SECRET, USER);
    const rotated = new SecretBox(randomBytes(32), [key]);
    expect(rotated.open(sealed, USER)).toBe(SECRET);
    expect(rotated.isStale(sealed)).toBe(true);
    expect(rotated.isStale(rotated.seal(SECRET, USER))).toBe(false);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, USER)).toThrow(/not configured/);
  });
});

describe('loadSecretBox', () => {
  const withDir = async (run: (dir: string) => Promise<void>) => {
    const dir = await mkdtemp(join(tmpdir(), 'mfa-keys-'));
    try {
      await run(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  it('generates one key file outside production, even for instances starting together, and reuses it', () =>
    withDir(async (dir) => {
      const boxes = await Promise.all([1, 2, 3].map(() => loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'development' })));
      expect(new Set(boxes.map((b) => b.currentKeyId)).size).toBe(1);
      const sealed = boxes[0].seal(SECRET, USER);
      const later = await loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'development' });
      expect(later.open(sealed, USER)).toBe(SECRET);
      expect(Buffer.from((await readFile(join(dir, MFA_KEY_FILE), 'utf8')).trim(), 'base64')).toHaveLength(32);
    }));

  it('refuses to start in production without MFA_ENCRYPTION_KEY or a key file, and names the variable', () =>
    withDir(async (dir) => {
      await expect(loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'production' })).rejects.toThrow(KeyFileError);
      await expect(loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'production' })).rejects.toThrow(/MFA_ENCRYPTION_KEY/);
      const key = randomBytes(32).toString('base64');
      const box = await loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'production', MFA_ENCRYPTION_KEY: key });
      expect(box.currentKeyId).toBe(mfaKeyId(Buffer.from(key, 'base64')));
    }));

  it('seals with MFA_ENCRYPTION_KEY and still opens what the key file or a retired key sealed', () =>
    withDir(async (dir) => {
      const fromFile = await loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'development' });
      const retired = randomBytes(32);
      const sealedByFile = fromFile.seal(SECRET, USER);
      const sealedByRetired = new SecretBox(retired).seal(SECRET, USER);
      const current = randomBytes(32).toString('base64');
      const box = await loadSecretBox({
        KEYS_DIR: dir,
        NODE_ENV: 'production',
        MFA_ENCRYPTION_KEY: current,
        MFA_ENCRYPTION_KEYS_RETIRED: retired.toString('base64'),
      });
      expect(box.open(sealedByFile, USER)).toBe(SECRET);
      expect(box.open(sealedByRetired, USER)).toBe(SECRET);
      expect(box.isStale(box.seal(SECRET, USER))).toBe(false);
    }));

  it('refuses a key file that does not hold 32 bytes', () =>
    withDir(async (dir) => {
      await writeFile(join(dir, MFA_KEY_FILE), 'c2hvcnQ=\n');
      await expect(loadSecretBox({ KEYS_DIR: dir, NODE_ENV: 'development' })).rejects.toThrow(/32-byte key/);
    }));
});
