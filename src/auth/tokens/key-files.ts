import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export type KeyPurpose = 'access' | 'refresh';
export const KEY_PURPOSES: readonly KeyPurpose[] = ['access', 'refresh'];
const MIN_MODULUS_BITS = 2048;
const NEW_KEY_BITS = 2048;

/** Signs with one key, verifies with the current one and every retired one, each under its `kid`. */
export interface KeyRing {
  kid: string;
  privateKey: KeyObject;
  verifying: ReadonlyMap<string, KeyObject>;
  /** Public JWKs of `verifying`, current first. */
  jwks: JWK[];
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

const privatePath = (dir: string, purpose: KeyPurpose) => join(dir, `${purpose}-private.pem`);
const publicPath = (dir: string, purpose: KeyPurpose) => join(dir, `${purpose}-public.pem`);
const retiredDir = (dir: string) => join(dir, 'retired');

/** RFC 7638 thumbprint of the public key: the `kid` in token headers and in the JWKS. */
export async function thumbprint(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

async function publicJwk(publicKey: KeyObject, kid: string): Promise<JWK> {
  const { kty, n, e } = await exportJWK(publicKey);
  return { kty, use: 'sig', alg: 'RS256', kid, n, e };
}

function assertStrongRsa(key: KeyObject, file: string): void {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_MODULUS_BITS) {
    throw new KeyFileError(`${file} must be an RSA key of at least ${MIN_MODULUS_BITS} bits`);
  }
}

async function readPem(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KeyFileError(`cannot read key file ${file}${code ? ` (${code})` : ''}`);
  }
}

function parsePem<T>(parse: () => T, file: string): T {
  try {
    return parse();
  } catch {
    throw new KeyFileError(`${file} is not a valid PEM key`);
  }
}

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

async function writePair(dir: string, purpose: KeyPurpose): Promise<void> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: NEW_KEY_BITS });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  // Write then rename, so a crash never leaves a half-written key behind.
  await writeFile(`${privatePath(dir, purpose)}.tmp`, privatePem, { mode: 0o600 });
  await writeFile(`${publicPath(dir, purpose)}.tmp`, publicPem, { mode: 0o644 });
  await rename(`${privatePath(dir, purpose)}.tmp`, privatePath(dir, purpose));
  await rename(`${publicPath(dir, purpose)}.tmp`, publicPath(dir, purpose));
  await chmod(privatePath(dir, purpose), 0o600);
}

/**
 * Writes a new pair for every purpose whose private key is missing. Returns what it wrote.
 * Callers decide whether that is allowed (never in production).
 */
export async function generateMissingKeys(dir: string): Promise<KeyPurpose[]> {
  await mkdir(dir, { recursive: true });
  const written: KeyPurpose[] = [];
  for (const purpose of KEY_PURPOSES) {
    if (await exists(privatePath(dir, purpose))) continue;
    await writePair(dir, purpose);
    written.push(purpose);
  }
  return written;
}

export async function missingKeyFiles(dir: string): Promise<string[]> {
  const files = KEY_PURPOSES.flatMap((purpose) => [privatePath(dir, purpose), publicPath(dir, purpose)]);
  const present = await Promise.all(files.map(exists));
  return files.filter((_, i) => !present[i]);
}

export async function loadKeyRing(dir: string, purpose: KeyPurpose): Promise<KeyRing> {
  const privateFile = privatePath(dir, purpose);
  const publicFile = publicPath(dir, purpose);
  const privatePem = await readPem(privateFile);
  const publicPem = await readPem(publicFile);
  const privateKey = parsePem(() => createPrivateKey(privatePem), privateFile);
  assertStrongRsa(privateKey, privateFile);
  const currentPublic = createPublicKey(privateKey);
  const kid = await thumbprint(currentPublic);
  const published = parsePem(() => createPublicKey(publicPem), publicFile);
  if ((await thumbprint(published)) !== kid) throw new KeyFileError(`${publicFile} does not match ${privateFile}`);

  const verifying = new Map<string, KeyObject>([[kid, currentPublic]]);
  const jwks = [await publicJwk(currentPublic, kid)];
  const retiredNames = await readdir(retiredDir(dir)).catch(() => [] as string[]);
  for (const name of retiredNames.filter((n) => n.startsWith(`${purpose}-`) && n.endsWith('.pem')).sort()) {
    const file = join(retiredDir(dir), name);
    const pem = await readPem(file);
    const key = parsePem(() => createPublicKey(pem), file);
    assertStrongRsa(key, file);
    const retiredKid = await thumbprint(key);
    if (verifying.has(retiredKid)) continue;
    verifying.set(retiredKid, key);
    jwks.push(await publicJwk(key, retiredKid));
  }
  return { kid, privateKey, verifying, jwks };
}

/**
 * Retires the current public keys (they keep verifying tokens already issued) and writes new
 * pairs. Restart the service to sign with the new keys.
 */
export async function rotateKeys(dir: string): Promise<{ purpose: KeyPurpose; retiredKid: string; newKid: string }[]> {
  await mkdir(retiredDir(dir), { recursive: true });
  const rotated = [];
  for (const purpose of KEY_PURPOSES) {
    const current = await loadKeyRing(dir, purpose);
    const publicPem = await readPem(publicPath(dir, purpose));
    await writeFile(join(retiredDir(dir), `${purpose}-${current.kid}.pem`), publicPem, { mode: 0o644 });
    await writePair(dir, purpose);
    rotated.push({ purpose, retiredKid: current.kid, newKid: (await loadKeyRing(dir, purpose)).kid });
  }
  return rotated;
}
