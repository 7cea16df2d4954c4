import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHmac, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidTokenException } from '../invalid-token.exception.js';
import { guardedTokens, type GuardedTokens } from '../../../test/support/token-guards.js';
import { k4Pid, rotateKeys, type TokenFormat } from './key-files.js';
import { KeyStore } from './key-store.js';
import { customKey, customKeyMatches } from './token.service.js';

const USER = '11111111-1111-4111-8111-111111111111';
const SESSION = '22222222-2222-4222-8222-222222222222';
const REFRESH_JTI = '44444444-4444-4444-8444-444444444444';
const NEXT_JTI = '55555555-5555-4555-8555-555555555555';
const opened: GuardedTokens[] = [];
/**
 * The guards and a TokenService issuing in `format`, with the keys in `dir` (loaded as the module
 * does for TOKEN_FORMAT=`format`). Newest first: passport names strategies once per process.
 */
async function wired(dir: string, format: TokenFormat, cacheSize = 10_000) {
  const guarded = await guardedTokens({ KEYS_DIR: dir, TOKEN_FORMAT: format, ACCESS_TOKEN_CACHE_SIZE: String(cacheSize) });
  opened.push(guarded);
  const service = guarded.issuer(format);
  return { service, verify: guarded.verify, access: guarded.access };
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((g) => g.close()));
});
const kidOf = (token: string) =>
  token.startsWith('v4.')
    ? (JSON.parse(Buffer.from(token.split('.')[3], 'base64url').toString()) as { kid: string }).kid
    : (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as { kid: string }).kid;

describe('TokenService', () => {
  let dir: string;
  const temporary: string[] = [];
  const scratch = async (name: string) => {
    const made = await mkdtemp(join(tmpdir(), `token-spec-${name}-`));
    temporary.push(made);
    return made;
  };

  beforeAll(async () => {
    dir = await scratch('both');
  });
  afterAll(async () => {
    await Promise.all(temporary.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('issues in TOKEN_FORMAT and verifies both formats once both have keys: switching logs nobody out', async () => {
    const jwtOnly = await wired(dir, 'jwt');
    const jwtPair = await jwtOnly.service.issuePair(USER, SESSION, REFRESH_JTI, 'a'.repeat(64), ['pwd']);
    expect(jwtPair.accessToken.split('.')).toHaveLength(3);

    const paseto = await wired(dir, 'paseto');
    const keys = await KeyStore.load({ KEYS_DIR: dir, NODE_ENV: 'test', TOKEN_FORMAT: 'paseto' });
    const pasetoPair = await paseto.service.issuePair(USER, SESSION, REFRESH_JTI, 'a'.repeat(64), ['pwd']);
    expect(pasetoPair.accessToken).toMatch(/^v4\.public\./);
    expect(pasetoPair).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, refreshExpiresIn: 604800 });
    expect(kidOf(pasetoPair.accessToken)).toBe(keys.paseto!.access.kid);
    expect(kidOf(pasetoPair.refreshToken)).toBe(keys.paseto!.refresh.kid);
    expect(keys.paseto!.access.kid).not.toBe(keys.paseto!.refresh.kid);

    // Issuing in PASETO now, and back in JWT: both verify both.
    for (const format of ['paseto', 'jwt'] as const) {
      const { verify } = format === 'paseto' ? paseto : await wired(dir, 'jwt');
      for (const pair of [jwtPair, pasetoPair]) {
        await expect(verify(pair.accessToken, 'access')).resolves.toMatchObject({ sub: USER, sid: SESSION, typ: 'access' });
        await expect(verify(pair.refreshToken, 'refresh')).resolves.toMatchObject({
          jti: REFRESH_JTI,
          key: customKey(USER, 'a'.repeat(64)),
        });
        await expect(verify(pair.refreshToken, 'access')).rejects.toThrow(InvalidTokenException);
      }
    }
  });

  it('refuses a PASETO token where only JWT keys exist, and a JWT where only PASETO keys exist', async () => {
    const both = await wired(await scratch('p'), 'paseto');
    const pasetoPair = await both.service.issuePair(USER, SESSION, REFRESH_JTI, 'b'.repeat(64), ['pwd']);
    const jwtOnly = await wired(await scratch('j'), 'jwt');
    const jwtPair = await jwtOnly.service.issuePair(USER, SESSION, REFRESH_JTI, 'b'.repeat(64), ['pwd']);
    await expect(jwtOnly.verify(pasetoPair.accessToken, 'access')).rejects.toThrow(InvalidTokenException);
    await expect(jwtOnly.verify(jwtPair.accessToken, 'access')).resolves.toMatchObject({ sub: USER });
    const pasetoOnly = await wired(await scratch('p2'), 'paseto');
    await expect(pasetoOnly.verify(jwtPair.accessToken, 'access')).rejects.toThrow(InvalidTokenException);
    const own = await pasetoOnly.service.issuePair(USER, SESSION, REFRESH_JTI, 'b'.repeat(64), ['pwd']);
    await expect(pasetoOnly.verify(own.accessToken, 'access')).resolves.toMatchObject({ sub: USER });
  });

  it.each<[TokenFormat]>([['jwt'], ['paseto']])(
    'keeps verifying %s tokens signed by a retired key after a rotation, and signs with the new one',
    async (format) => {
      const rotatedDir = await scratch(`rotate-${format}`);
      const before = await wired(rotatedDir, format);
      const oldPair = await before.service.issuePair(USER, SESSION, REFRESH_JTI, 'c'.repeat(64), ['pwd']);
      const rotated = await rotateKeys(rotatedDir);
      expect(rotated.map((r) => `${r.format}/${r.purpose}`)).toEqual([`${format}/access`, `${format}/refresh`]);
      const [access, refresh] = rotated;
      expect(access.newKid).not.toBe(access.retiredKid);

      const reloaded = await KeyStore.load({ KEYS_DIR: rotatedDir, NODE_ENV: 'test', TOKEN_FORMAT: format });
      const after = await wired(rotatedDir, format);
      await expect(after.verify(oldPair.accessToken, 'access')).resolves.toMatchObject({ sub: USER });
      await expect(after.verify(oldPair.refreshToken, 'refresh')).resolves.toMatchObject({ sub: USER });
      const newPair = await after.service.issuePair(USER, SESSION, NEXT_JTI, 'c'.repeat(64), ['pwd']);
      expect(kidOf(newPair.accessToken)).toBe(access.newKid);
      expect(kidOf(newPair.refreshToken)).toBe(refresh.newKid);
      await expect(after.verify(newPair.accessToken, 'access')).resolves.toMatchObject({ sub: USER });
      const published = format === 'jwt' ? reloaded.jwks.keys.map((k) => k.kid) : reloaded.paserk.keys.map((k) => k.kid);
      expect(published).toEqual([access.newKid, access.retiredKid]);
      expect(published).not.toContain(refresh.newKid);
    },
  );

  it('publishes only public parts: RSA JWKs and k4.public PASERKs under their k4.pid', async () => {
    const keys = await KeyStore.load({ KEYS_DIR: dir, NODE_ENV: 'test', TOKEN_FORMAT: 'paseto' });
    for (const key of keys.jwks.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
      expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    }
    expect(keys.paserk.keys.length).toBeGreaterThan(0);
    for (const key of keys.paserk.keys) {
      expect(Object.keys(key).sort()).toEqual(['kid', 'paserk']);
      expect(key.paserk).toMatch(/^k4\.public\.[A-Za-z0-9_-]{43}$/);
      expect(key.kid).toBe(k4Pid(key.paserk));
    }
  });

  it('computes k4.pid as the PASERK test vector k4.pid-1 says', () => {
    expect(k4Pid('k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8')).toBe('k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs');
  });

  it('writes private key files readable by the owner only, of the right kind', async () => {
    expect((await stat(join(dir, 'access-private.pem'))).mode & 0o077).toBe(0);
    expect((await stat(join(dir, 'paseto-access-private.pem'))).mode & 0o077).toBe(0);
    expect(
      createPrivateKey(await readFile(join(dir, 'access-private.pem'), 'utf8')).asymmetricKeyDetails?.modulusLength,
    ).toBeGreaterThanOrEqual(2048);
    expect(createPrivateKey(await readFile(join(dir, 'paseto-refresh-private.pem'), 'utf8')).asymmetricKeyType).toBe('ed25519');
  });

  it.each<[TokenFormat, RegExp]>([
    ['jwt', /access-private\.pem.*keys:generate/],
    ['paseto', /paseto-access-private\.pem.*TOKEN_FORMAT=paseto npm run keys:generate/],
  ])('refuses to start in production when the %s key files are missing, naming them', async (format, message) => {
    const empty = await scratch('empty');
    await expect(KeyStore.load({ KEYS_DIR: empty, NODE_ENV: 'production', TOKEN_FORMAT: format })).rejects.toThrow(message);
  });

  it('starts in production with only the keys of the format in use', async () => {
    const jwtOnly = await scratch('prod-jwt');
    await KeyStore.load({ KEYS_DIR: jwtOnly, NODE_ENV: 'test', TOKEN_FORMAT: 'jwt' });
    const keys = await KeyStore.load({ KEYS_DIR: jwtOnly, NODE_ENV: 'production', TOKEN_FORMAT: 'jwt' });
    expect(keys.paseto).toBeUndefined();
    expect(keys.paserk.keys).toEqual([]);
    await expect(KeyStore.load({ KEYS_DIR: jwtOnly, NODE_ENV: 'production', TOKEN_FORMAT: 'paseto' })).rejects.toThrow(
      /paseto-access-private/,
    );
  });

  it("refuses to start with half of the other format's keys, naming the missing file", async () => {
    const half = await scratch('half');
    await KeyStore.load({ KEYS_DIR: half, NODE_ENV: 'test', TOKEN_FORMAT: 'paseto' });
    await KeyStore.load({ KEYS_DIR: half, NODE_ENV: 'test', TOKEN_FORMAT: 'jwt' });
    await expect(KeyStore.load({ KEYS_DIR: half, NODE_ENV: 'production', TOKEN_FORMAT: 'jwt' })).resolves.toBeDefined();
    await rm(join(half, 'paseto-refresh-public.pem'));
    await expect(KeyStore.load({ KEYS_DIR: half, NODE_ENV: 'production', TOKEN_FORMAT: 'jwt' })).rejects.toThrow(
      /paseto-refresh-public\.pem/,
    );
  });

  it('refuses an Ed25519 key where the RSA access key belongs (the pairs swapped)', async () => {
    const mixed = await scratch('mixed');
    await KeyStore.load({ KEYS_DIR: mixed, NODE_ENV: 'test', TOKEN_FORMAT: 'paseto' });
    await KeyStore.load({ KEYS_DIR: mixed, NODE_ENV: 'test', TOKEN_FORMAT: 'jwt' });
    const { rename } = await import('node:fs/promises');
    for (const end of ['private', 'public']) {
      await rename(join(mixed, `access-${end}.pem`), join(mixed, `tmp-${end}.pem`));
      await rename(join(mixed, `paseto-access-${end}.pem`), join(mixed, `access-${end}.pem`));
      await rename(join(mixed, `tmp-${end}.pem`), join(mixed, `paseto-access-${end}.pem`));
    }
    await expect(KeyStore.load({ KEYS_DIR: mixed, NODE_ENV: 'test', TOKEN_FORMAT: 'jwt' })).rejects.toThrow(
      /access-private\.pem must be an RSA key/,
    );
  });
});

describe('the guard remembers the access tokens its strategies accepted', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'token-spec-remembered-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** The guards with `size` remembered tokens, counting the tokens a strategy verified in full and accepted. */
  async function counted(size: number) {
    const { service, verify, access } = await wired(dir, 'jwt', size);
    const verifications = jest.spyOn(access, 'accepted');
    const issue = async (jti = REFRESH_JTI) => service.issuePair(USER, SESSION, jti, 'd'.repeat(64), ['pwd']);
    return { verify, access, verifications, issue };
  }

  it('verifies an access token once, answers from memory until the millisecond it expires, then refuses it', async () => {
    const { verify, access, verifications, issue } = await counted(10);
    const { accessToken } = await issue();
    const first = await verify(accessToken, 'access');
    await expect(verify(accessToken, 'access')).resolves.toEqual(first);
    expect(verifications).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(access.remembered(accessToken))).toBe(true);

    const now = jest.spyOn(Date, 'now').mockReturnValue(first.expiresAt - 1);
    await expect(verify(accessToken, 'access')).resolves.toEqual(first);
    expect(verifications).toHaveBeenCalledTimes(1);
    // At the millisecond of expiry it is forgotten, and passport-jwt refuses it (jsonwebtoken reads Date.now too).
    now.mockReturnValue(first.expiresAt);
    await expect(verify(accessToken, 'access')).rejects.toThrow(InvalidTokenException);
    expect(verifications).toHaveBeenCalledTimes(1);
    // Forgotten: back at a time it was valid, it is verified in full again.
    now.mockReturnValue(first.expiresAt - 1000);
    await expect(verify(accessToken, 'access')).resolves.toEqual(first);
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('verifies any other text in full, even when it decodes to the remembered token: refused, while the original still passes', async () => {
    const { verify, verifications, issue } = await counted(10);
    const { accessToken, refreshToken } = await issue();
    await verify(accessToken, 'access');
    const [header, payload, signature] = accessToken.split('.');
    const flipped = (text: string, at: number) => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const otherSubject = Buffer.from(JSON.stringify({ ...claims, sub: '33333333-3333-4333-8333-333333333333' })).toString('base64url');
    for (const changed of [
      `${header}.${payload}.${flipped(signature, 10)}`,
      `${header}.${otherSubject}.${signature}`,
      `${header}.${payload}.${signature}x`,
      refreshToken,
    ]) {
      await expect(verify(changed, 'access')).rejects.toThrow(InvalidTokenException);
    }
    expect(verifications).toHaveBeenCalledTimes(1);
    await expect(verify(accessToken, 'access')).resolves.toMatchObject({ sub: USER });
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('never remembers a refresh token, nor an access token presented as one', async () => {
    const { verify, access, verifications, issue } = await counted(10);
    const { accessToken, refreshToken } = await issue();
    await verify(refreshToken, 'refresh');
    await verify(refreshToken, 'refresh');
    expect(access.remembered(refreshToken)).toBeUndefined();
    expect(verifications).toHaveBeenCalledTimes(0);
    await verify(accessToken, 'access');
    await expect(verify(accessToken, 'refresh')).rejects.toThrow(InvalidTokenException);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('keeps at most ACCESS_TOKEN_CACHE_SIZE tokens, dropping the least recently used; 0 keeps none', async () => {
    const { verify, verifications, issue } = await counted(2);
    const [a, b, c] = await Promise.all([issue(REFRESH_JTI), issue(NEXT_JTI), issue('66666666-6666-4666-8666-666666666666')]);
    for (const pair of [a, b, a, c]) await verify(pair.accessToken, 'access');
    // b was the least recently used when c came.
    expect(verifications).toHaveBeenCalledTimes(3);
    await verify(a.accessToken, 'access');
    await verify(c.accessToken, 'access');
    expect(verifications).toHaveBeenCalledTimes(3);
    await verify(b.accessToken, 'access');
    expect(verifications).toHaveBeenCalledTimes(4);

    const none = await counted(0);
    const { accessToken } = await none.issue();
    await none.verify(accessToken, 'access').catch(() => undefined);
    await none.verify(accessToken, 'access').catch(() => undefined);
    expect(none.verifications).toHaveBeenCalledTimes(2);
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
