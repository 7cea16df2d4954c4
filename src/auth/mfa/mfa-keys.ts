import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Environment } from '../../config/environment.js';
import { KeyFileError } from '../tokens/key-files.js';
import { MFA_KEY_BYTES, SecretBox } from './secret-box.js';

/** Where a key is generated outside production when MFA_ENCRYPTION_KEY is unset. */
export const MFA_KEY_FILE = 'mfa-encryption.key';

/** 32 bytes from base64 (or base64url) text; anything else is undefined. */
export function parseMfaKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  return key.length === MFA_KEY_BYTES ? key : undefined;
}

async function readKeyFile(file: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KeyFileError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  const key = parseMfaKey(text);
  if (!key) throw new KeyFileError(`${file} must hold a ${MFA_KEY_BYTES}-byte key in base64`);
  return key;
}

/**
 * Writes a new key unless one is there. Complete or absent, never half-written, and the first of
 * several instances starting together wins: the others' `link` finds the file and they read it. True when this call wrote it.
 */
async function generateKeyFile(file: string): Promise<boolean> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${randomBytes(MFA_KEY_BYTES).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/**
 * The box that seals TOTP secrets. Its key is MFA_ENCRYPTION_KEY; unset, the key in
 * `KEYS_DIR/mfa-encryption.key`, generated there on first start outside production (in
 * production a missing key stops the process, like a missing signing key). Values sealed under
 * MFA_ENCRYPTION_KEYS_RETIRED, or under the key file when MFA_ENCRYPTION_KEY replaced it, still open.
 */
export async function loadSecretBox(
  env: Pick<Environment, 'KEYS_DIR' | 'NODE_ENV' | 'MFA_ENCRYPTION_KEY' | 'MFA_ENCRYPTION_KEYS_RETIRED'>,
): Promise<SecretBox> {
  const file = join(env.KEYS_DIR, MFA_KEY_FILE);
  const retired = (env.MFA_ENCRYPTION_KEYS_RETIRED ?? '')
    .split(',')
    .filter((text) => text.trim() !== '')
    .map((text) => parseMfaKey(text)!);
  if (env.MFA_ENCRYPTION_KEY) {
    const fromFile = await readKeyFile(file);
    return new SecretBox(parseMfaKey(env.MFA_ENCRYPTION_KEY)!, [...retired, ...(fromFile ? [fromFile] : [])]);
  }
  let key = await readKeyFile(file);
  if (!key) {
    if (env.NODE_ENV === 'production') {
      throw new KeyFileError(
        `MFA_ENCRYPTION_KEY is not set and ${file} is missing; production never generates it: set MFA_ENCRYPTION_KEY to 32 random bytes in base64 (openssl rand -base64 32)`,
      );
    }
    await mkdir(env.KEYS_DIR, { recursive: true });
    if (await generateKeyFile(file)) new Logger('Keys').warn(`generated a new MFA encryption key in ${file}`);
    key = (await readKeyFile(file))!;
  }
  return new SecretBox(key, retired);
}
