import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { blake2b } from '@noble/hashes/blake2.js';
import { calculateJwkThumbprint, exportJWK } from 'jose';

export type TokenFormat = 'jwt' | 'paseto';
export const TOKEN_FORMATS: readonly TokenFormat[] = ['jwt', 'paseto'];
export type KeyPurpose = 'access' | 'refresh';
export const KEY_PURPOSES: readonly KeyPurpose[] = ['access', 'refresh'];
const MIN_MODULUS_BITS = 2048;
const NEW_KEY_BITS = 2048;

/** Signs with one key, verifies with the current one and every retired one, each under its `kid`. */
export interface KeyRing {
  format: TokenFormat;
  kid: string;
  privateKey: KeyObject;
  verifying: ReadonlyMap<string, KeyObject>;
}

export class KeyFileError extends Error {
  override name = 'KeyFileError';
}

/** RFC 7638 thumbprint of the public key: the `kid` in JWT headers and in the JWKS. */
export async function thumbprint(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
}

/** PASERK `k4.public` of an Ed25519 public key: its raw 32 bytes, base64url. */
export function k4Public(publicKey: KeyObject): string {
  return `k4.public.${publicKey.export({ format: 'jwk' }).x}`;
}

/**
 * PASERK `k4.pid`: BLAKE2b-264 over the header and the k4.public string. WebCrypto has no BLAKE2b,
 * so the paseto library leaves the v4 id to the caller; a truncated blake2b512 would be a
 * different hash (the output length is a parameter of BLAKE2b).
 */
export function k4Pid(k4public: string): string {
  const header = 'k4.pid.';
  return header + Buffer.from(blake2b(new TextEncoder().encode(header + k4public), { dkLen: 33 })).toString('base64url');
}

interface KeyScheme {
  /** File names start with this: `access-private.pem`, `paseto-access-private.pem`. */
  prefix: string;
  generate(): Promise<{ privateKey: KeyObject; publicKey: KeyObject }>;
  assertKind(key: KeyObject, file: string): void;
  kid(publicKey: KeyObject): Promise<string>;
}

const SCHEMES: Record<TokenFormat, KeyScheme> = {
  jwt: {
    prefix: '',
    generate: () => promisify(generateKeyPair)('rsa', { modulusLength: NEW_KEY_BITS }),
    assertKind(key, file) {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (key.asymmetricKeyType !== 'rsa' || bits < MIN_MODULUS_BITS) {
        throw new KeyFileError(`${file} must be an RSA key of at least ${MIN_MODULUS_BITS} bits`);
      }
    },
    kid: thumbprint,
  },
  paseto: {
    prefix: 'paseto-',
    generate: () => promisify(generateKeyPair)('ed25519'),
    assertKind(key, file) {
      // v4.public is Ed25519 and nothing else: no algorithm choice is left to the key file either.
      if (key.asymmetricKeyType !== 'ed25519') throw new KeyFileError(`${file} must be an Ed25519 key`);
    },
    kid: async (publicKey) => k4Pid(k4Public(publicKey)),
  },
};

const privatePath = (dir: string, format: TokenFormat, purpose: KeyPurpose) =>
  join(dir, `${SCHEMES[format].prefix}${purpose}-private.pem`);
const publicPath = (dir: string, format: TokenFormat, purpose: KeyPurpose) =>
  join(dir, `${SCHEMES[format].prefix}${purpose}-public.pem`);
const retiredDir = (dir: string) => join(dir, 'retired');

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

async function writePair(dir: string, format: TokenFormat, purpose: KeyPurpose): Promise<void> {
  const { privateKey, publicKey } = await SCHEMES[format].generate();
  const privateFile = privatePath(dir, format, purpose);
  const publicFile = publicPath(dir, format, purpose);
  // Write then rename, so a crash never leaves a half-written key behind.
  await writeFile(`${privateFile}.tmp`, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  await writeFile(`${publicFile}.tmp`, publicKey.export({ type: 'spki', format: 'pem' }) as string, { mode: 0o644 });
  await rename(`${privateFile}.tmp`, privateFile);
  await rename(`${publicFile}.tmp`, publicFile);
  await chmod(privateFile, 0o600);
}

/**
 * Writes a new pair for every purpose of `format` whose private key is missing. Returns what it
 * wrote. Callers decide whether that is allowed (never in production).
 */
export async function generateMissingKeys(dir: string, format: TokenFormat = 'jwt'): Promise<KeyPurpose[]> {
  await mkdir(dir, { recursive: true });
  const written: KeyPurpose[] = [];
  for (const purpose of KEY_PURPOSES) {
    if (await exists(privatePath(dir, format, purpose))) continue;
    await writePair(dir, format, purpose);
    written.push(purpose);
  }
  return written;
}

export async function missingKeyFiles(dir: string, format: TokenFormat = 'jwt'): Promise<string[]> {
  const files = KEY_PURPOSES.flatMap((purpose) => [privatePath(dir, format, purpose), publicPath(dir, format, purpose)]);
  const present = await Promise.all(files.map(exists));
  return files.filter((_, i) => !present[i]);
}

/** Whether any current key file of `format` is there (then all of them must be). */
export async function hasKeyFiles(dir: string, format: TokenFormat): Promise<boolean> {
  return (await missingKeyFiles(dir, format)).length < KEY_PURPOSES.length * 2;
}

export async function loadKeyRing(dir: string, purpose: KeyPurpose, format: TokenFormat = 'jwt'): Promise<KeyRing> {
  const scheme = SCHEMES[format];
  const privateFile = privatePath(dir, format, purpose);
  const publicFile = publicPath(dir, format, purpose);
  const privatePem = await readPem(privateFile);
  const publicPem = await readPem(publicFile);
  const privateKey = parsePem(() => createPrivateKey(privatePem), privateFile);
  scheme.assertKind(privateKey, privateFile);
  const currentPublic = createPublicKey(privateKey);
  const kid = await scheme.kid(currentPublic);
  const published = parsePem(() => createPublicKey(publicPem), publicFile);
  scheme.assertKind(published, publicFile);
  if ((await scheme.kid(published)) !== kid) throw new KeyFileError(`${publicFile} does not match ${privateFile}`);

  const verifying = new Map<string, KeyObject>([[kid, currentPublic]]);
  const retiredNames = await readdir(retiredDir(dir)).catch(() => [] as string[]);
  // `access-` never matches `paseto-access-…`: each format only sees its own retired keys.
  const own = `${scheme.prefix}${purpose}-`;
  for (const name of retiredNames.filter((n) => n.startsWith(own) && n.endsWith('.pem')).sort()) {
    const file = join(retiredDir(dir), name);
    const pem = await readPem(file);
    const key = parsePem(() => createPublicKey(pem), file);
    scheme.assertKind(key, file);
    const retiredKid = await scheme.kid(key);
    if (!verifying.has(retiredKid)) verifying.set(retiredKid, key);
  }
  return { format, kid, privateKey, verifying };
}

/**
 * Retires the current public keys of every format present (they keep verifying tokens already
 * issued) and writes new pairs. Restart the service to sign with the new keys.
 */
export async function rotateKeys(
  dir: string,
): Promise<{ format: TokenFormat; purpose: KeyPurpose; retiredKid: string; newKid: string }[]> {
  await mkdir(retiredDir(dir), { recursive: true });
  const rotated = [];
  for (const format of TOKEN_FORMATS) {
    if (!(await hasKeyFiles(dir, format))) continue;
    for (const purpose of KEY_PURPOSES) {
      const current = await loadKeyRing(dir, purpose, format);
      const publicPem = await readPem(publicPath(dir, format, purpose));
      await writeFile(join(retiredDir(dir), `${SCHEMES[format].prefix}${purpose}-${current.kid}.pem`), publicPem, { mode: 0o644 });
      await writePair(dir, format, purpose);
      rotated.push({ format, purpose, retiredKid: current.kid, newKid: (await loadKeyRing(dir, purpose, format)).kid });
    }
  }
  return rotated;
}
