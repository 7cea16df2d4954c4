import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidTokenException } from '../../common/all-exceptions.filter.js';
import { validateEnvironment } from '../../config/environment.js';
import { KeyStore } from './key-store.js';
import { rotateKeys } from './key-files.js';
import { customKey, customKeyMatches, TokenService } from './token.service.js';

const USER = '11111111-1111-4111-8111-111111111111';
const SESSION = '22222222-2222-4222-8222-222222222222';
const JTI = '33333333-3333-4333-8333-333333333333';
const REFRESH_JTI = '44444444-4444-4444-8444-444444444444';
const NEXT_JTI = '55555555-5555-4555-8555-555555555555';
const env = validateEnvironment({ JWT_ISSUER: 'todo-api', JWT_AUDIENCE: 'todo-api' });
const jwt = new JwtService({});
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function serviceFor(keys: KeyStore, overrides: Partial<typeof env> = {}): TokenService {
  return new TokenService(jwt, keys, new ConfigService({ ...env, ...overrides }));
}

/** Signs arbitrary claims with the given key, as an attacker with that key would. */
function forge(privateKey: KeyObject, kid: string, claims: Record<string, unknown>): string {
  return jwt.sign(claims, { privateKey: privateKey as never, algorithm: 'RS256', keyid: kid });
}

describe('TokenService', () => {
  let dir: string;
  let keys: KeyStore;
  let tokens: TokenService;
  const now = () => Math.floor(Date.now() / 1000);
  const accessClaims = () => ({
    sub: USER,
    sid: SESSION,
    jti: JTI,
    typ: 'access',
    iss: 'todo-api',
    aud: 'todo-api',
    iat: now(),
    exp: now() + 900,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'token-spec-'));
    keys = await KeyStore.load({ KEYS_DIR: dir, NODE_ENV: 'test' });
    tokens = serviceFor(keys);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues an RS256 pair whose tokens verify, each under its own key pair and kid', async () => {
    const pair = await tokens.issuePair(USER, SESSION, REFRESH_JTI, 'a'.repeat(64));
    const access = tokens.verify(pair.accessToken, 'access');
    const refresh = tokens.verify(pair.refreshToken, 'refresh');
    expect(access).toMatchObject({ sub: USER, sid: SESSION, typ: 'access', iss: 'todo-api', aud: 'todo-api' });
    expect(refresh).toMatchObject({ sub: USER, sid: SESSION, jti: REFRESH_JTI, typ: 'refresh' });
    expect(refresh.key).toBe(customKey(USER, 'a'.repeat(64)));
    const accessHeader = jwt.decode<{ header: { alg: string; kid: string } }>(pair.accessToken, { complete: true }).header;
    const refreshHeader = jwt.decode<{ header: { alg: string; kid: string } }>(pair.refreshToken, { complete: true }).header;
    expect(accessHeader).toMatchObject({ alg: 'RS256', kid: keys.access.kid });
    expect(refreshHeader).toMatchObject({ alg: 'RS256', kid: keys.refresh.kid });
    expect(keys.access.kid).not.toBe(keys.refresh.kid);
    expect(pair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 604800 });
  });

  it('accepts a well-formed token forged with the real key (the baseline the attacks below deviate from)', () => {
    expect(tokens.verify(forge(keys.access.privateKey, keys.access.kid, accessClaims()), 'access').sub).toBe(USER);
  });

  const refused: [string, () => string][] = [
    ['an expired token', () => forge(keys.access.privateKey, keys.access.kid, { ...accessClaims(), iat: now() - 1000, exp: now() - 10 })],
    ['a token without exp', () => {
      const { exp: _exp, ...claims } = accessClaims();
      return forge(keys.access.privateKey, keys.access.kid, claims);
    }],
    ['alg "none"', () => `${b64({ alg: 'none', typ: 'JWT', kid: keys.access.kid })}.${b64(accessClaims())}.`],
    ['an empty signature', () => forge(keys.access.privateKey, keys.access.kid, accessClaims()).replace(/\.[^.]+$/, '.')],
    ['HS256 signed with the public PEM as the secret', () => {
      const pem = createPublicKey(keys.access.privateKey).export({ type: 'spki', format: 'pem' }) as string;
      const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid: keys.access.kid })}.${b64(accessClaims())}`;
      return `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;
    }],
    ['a foreign RSA key under a real kid', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return forge(privateKey, keys.access.kid, accessClaims());
    }],
    ['an unknown kid', () => forge(keys.access.privateKey, 'no-such-kid', accessClaims())],
    ['a refresh token where an access token is expected (wrong key and typ)', () =>
      forge(keys.refresh.privateKey, keys.refresh.kid, { ...accessClaims(), typ: 'refresh', key: 'k' })],
    ['wrong typ under the access key', () => forge(keys.access.privateKey, keys.access.kid, { ...accessClaims(), typ: 'refresh' })],
    ['wrong iss', () => forge(keys.access.privateKey, keys.access.kid, { ...accessClaims(), iss: 'evil' })],
    ['wrong aud', () => forge(keys.access.privateKey, keys.access.kid, { ...accessClaims(), aud: 'other-api' })],
    ['a tampered payload', () => {
      const [header, , signature] = forge(keys.access.privateKey, keys.access.kid, accessClaims()).split('.');
      return `${header}.${b64({ ...accessClaims(), sub: 'user-2' })}.${signature}`;
    }],
    ['a jku header pointing elsewhere (ignored: still the unknown kid)', () =>
      jwt.sign(accessClaims(), {
        privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey as never,
        algorithm: 'RS256',
        keyid: 'attacker',
        header: { alg: 'RS256', jku: 'https://attacker.example/jwks.json' } as never,
      })],
    ['a session id that is not a UUID', () => forge(keys.access.privateKey, keys.access.kid, { ...accessClaims(), sid: "x' OR 1=1" })],
    ['garbage', () => 'not-a-jwt'],
  ];
  it.each(refused)('refuses %s', (_name, make) => {
    expect(() => tokens.verify(make(), 'access')).toThrow(InvalidTokenException);
  });

  it('refuses a refresh token without the custom key claim', () => {
    const claims = { sub: USER, sid: SESSION, jti: JTI, typ: 'refresh', iss: 'todo-api', aud: 'todo-api', iat: now(), exp: now() + 60 };
    expect(() => tokens.verify(forge(keys.refresh.privateKey, keys.refresh.kid, claims), 'refresh')).toThrow(InvalidTokenException);
    expect(tokens.verify(forge(keys.refresh.privateKey, keys.refresh.kid, { ...claims, key: 'k' }), 'refresh').key).toBe('k');
  });

  it('keeps verifying tokens signed by a retired key after a rotation, and signs with the new one', async () => {
    const rotatedDir = await mkdtemp(join(tmpdir(), 'token-spec-rotate-'));
    try {
      const before = serviceFor(await KeyStore.load({ KEYS_DIR: rotatedDir, NODE_ENV: 'test' }));
      const oldPair = await before.issuePair(USER, SESSION, REFRESH_JTI, 'c'.repeat(64));
      const [access, refresh] = await rotateKeys(rotatedDir);
      expect(access.newKid).not.toBe(access.retiredKid);

      const reloaded = await KeyStore.load({ KEYS_DIR: rotatedDir, NODE_ENV: 'test' });
      const after = serviceFor(reloaded);
      expect(after.verify(oldPair.accessToken, 'access').sub).toBe(USER);
      expect(after.verify(oldPair.refreshToken, 'refresh').sub).toBe(USER);
      const newPair = await after.issuePair(USER, SESSION, NEXT_JTI, 'c'.repeat(64));
      expect(jwt.decode<{ header: { kid: string } }>(newPair.accessToken, { complete: true }).header.kid).toBe(access.newKid);
      expect(jwt.decode<{ header: { kid: string } }>(newPair.refreshToken, { complete: true }).header.kid).toBe(refresh.newKid);
      expect(reloaded.jwks.keys.map((k) => k.kid)).toEqual([access.newKid, access.retiredKid]);
      expect(reloaded.jwks.keys.map((k) => k.kid)).not.toContain(refresh.newKid);
    } finally {
      await rm(rotatedDir, { recursive: true, force: true });
    }
  });

  it('publishes only public parts in the JWKS', () => {
    for (const key of keys.jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    }
  });

  it('writes private key files readable by the owner only', async () => {
    const { mode } = await import('node:fs/promises').then((fs) => fs.stat(join(dir, 'access-private.pem')));
    expect(mode & 0o077).toBe(0);
    const pem = await readFile(join(dir, 'access-private.pem'), 'utf8');
    expect(createPrivateKey(pem).asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(2048);
  });

  it('refuses to start in production when key files are missing, naming them', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'token-spec-empty-'));
    try {
      await expect(KeyStore.load({ KEYS_DIR: empty, NODE_ENV: 'production' })).rejects.toThrow(/access-private\.pem.*keys:generate/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('custom key', () => {
  it('is an HMAC-SHA256 of the user id keyed by tokenHash, and changes with either', () => {
    const key = customKey('user-1', 'hash-1');
    expect(key).toBe(createHmac('sha256', 'hash-1').update('user-1').digest('base64url'));
    expect(customKey('user-1', 'hash-2')).not.toBe(key);
    expect(customKey('user-2', 'hash-1')).not.toBe(key);
  });

  it('matches only the current tokenHash', () => {
    const key = customKey('user-1', 'hash-1');
    expect(customKeyMatches(key, 'user-1', 'hash-1')).toBe(true);
    expect(customKeyMatches(key, 'user-1', 'hash-2')).toBe(false);
    expect(customKeyMatches('short', 'user-1', 'hash-1')).toBe(false);
  });
});
