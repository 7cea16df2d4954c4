import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import { createHmac, createPublicKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicProtocol } from 'paseto';
import { ImportSecretKeyFactory, SignFactory } from 'paseto/v4/public';
import { encrypt as pasetoTsEncrypt, verify as pasetoTsVerify } from 'paseto-ts/v4';
import { InvalidTokenException } from '../invalid-token.exception.js';
import { k4Pid, k4Public, type TokenFormat } from './key-files.js';
import { KeyStore } from './key-store.js';
import { guardedTokens, type GuardedTokens } from '../../../test/support/token-guards.js';
import { checkClaims, type TokenPurpose } from './token-maker.js';

const USER = '11111111-1111-4111-8111-111111111111';
const SESSION = '22222222-2222-4222-8222-222222222222';
const JTI = '33333333-3333-4333-8333-333333333333';
const jwt = new JwtService({});
const v4 = new PublicProtocol(SignFactory, ImportSecretKeyFactory);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);
/** PASETO's registered times: RFC 3339 with whole seconds. */
const rfc3339 = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

type Claims = Record<string, unknown>;
interface ForgeOptions {
  purpose?: TokenPurpose;
  /** Sign with this private key instead of the purpose's real one. */
  key?: KeyObject;
  /** The kid to name; null names none. Default: the real key's. */
  kid?: string | null;
}
/** How a test (or an attacker holding a key) writes tokens of one format, claim by claim. */
interface Format {
  name: TokenFormat;
  time(offsetSeconds: number): number | string;
  forge(claims: Claims, options?: ForgeOptions): Promise<string>;
}

const defined = (claims: Claims) => Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));

async function pasetoSecret(privateKey: KeyObject) {
  const { d, x } = privateKey.export({ format: 'jwk' });
  return v4.ImportSecretKey(
    `k4.secret.${Buffer.concat([Buffer.from(d!, 'base64url'), Buffer.from(x!, 'base64url')]).toString('base64url')}`,
  );
}

/**
 * Every check on a token, each beside the legitimate token it deviates from, run through the guards
 * and strategies as AuthModule wires them (passport-jwt for JWTs, `paseto` for PASETO).
 */
describe('tokens through the guards', () => {
  let dir: string;
  let keys: KeyStore;
  /** Both formats' keys are in one KEYS_DIR: the guards verify both. */
  let guarded: GuardedTokens;
  const formats = {} as Record<TokenFormat, Format>;
  const issue = (format: TokenFormat, jti = JTI) => guarded.issuer(format).issuePair(USER, SESSION, jti, 'k'.repeat(64), ['pwd', 'otp']);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'token-makers-spec-'));
    await KeyStore.load({ KEYS_DIR: dir, NODE_ENV: 'test', TOKEN_FORMAT: 'jwt' });
    keys = await KeyStore.load({ KEYS_DIR: dir, NODE_ENV: 'test', TOKEN_FORMAT: 'paseto' });
    guarded = await guardedTokens({ KEYS_DIR: dir, TOKEN_FORMAT: 'paseto' });
    const jwtRings = keys.jwt!;
    const pasetoRings = keys.paseto!;
    formats.jwt = {
      name: 'jwt',
      time: (offset) => nowSeconds() + offset,
      forge: async (claims, { purpose = 'access', key, kid } = {}) => {
        const ring = jwtRings[purpose];
        const keyid = kid === null ? undefined : (kid ?? ring.kid);
        return jwt.sign(defined(claims), {
          privateKey: (key ?? ring.privateKey) as never,
          algorithm: 'RS256',
          // jsonwebtoken would add `iat` when the claims have none.
          ...(claims.iat === undefined ? { noTimestamp: true } : {}),
          ...(keyid ? { keyid } : {}),
        });
      },
    };
    formats.paseto = {
      name: 'paseto',
      time: (offset) => rfc3339(nowSeconds() + offset),
      forge: async (claims, { purpose = 'access', key, kid } = {}) => {
        const ring = pasetoRings[purpose];
        const footerKid = kid === null ? undefined : (kid ?? ring.kid);
        const footer = footerKid === undefined ? undefined : new TextEncoder().encode(JSON.stringify({ kid: footerKid }));
        const body = defined(claims) as Record<string, string>;
        return v4.Sign(await pasetoSecret(key ?? ring.privateKey), body, {
          ...(footer ? { footer } : {}),
          addIssuedAt: false,
          ...(body.exp === undefined ? { nonExpiring: true } : {}),
        });
      },
    };
  });
  afterAll(async () => {
    await guarded.close();
    await rm(dir, { recursive: true, force: true });
  });

  describe.each<[TokenFormat]>([['jwt'], ['paseto']])('%s', (name) => {
    const format = () => formats[name];
    const verify = <P extends TokenPurpose>(token: string, purpose: P) => guarded.verify(token, purpose);
    const access = (over: Claims = {}): Claims => ({
      sub: USER,
      sid: SESSION,
      jti: JTI,
      typ: 'access',
      iss: 'todo-api',
      aud: 'todo-api',
      iat: format().time(0),
      exp: format().time(900),
      ...over,
    });
    const refresh = (over: Claims = {}): Claims => access({ typ: 'refresh', key: 'custom-key', exp: format().time(3600), ...over });

    it('issues pairs that the guards accept, with the purpose as typ and the custom key on refresh tokens', async () => {
      // Whole seconds: both formats write iat and exp to the second.
      const issuedFrom = Math.floor(Date.now() / 1000) * 1000;
      const pair = await issue(name);
      const issuedTo = Date.now();
      const access = await verify(pair.accessToken, 'access');
      expect(access).toEqual({
        sub: USER,
        sid: SESSION,
        jti: expect.any(String),
        typ: 'access',
        amr: ['pwd', 'otp'],
        expiresAt: expect.any(Number),
      });
      const refresh = await verify(pair.refreshToken, 'refresh');
      expect(refresh).toEqual({
        sub: USER,
        sid: SESSION,
        jti: JTI,
        typ: 'refresh',
        amr: ['pwd', 'otp'],
        key: expect.any(String),
        expiresAt: expect.any(Number),
      });
      // The configured lifetimes, read back in milliseconds.
      expect(access.expiresAt).toBeGreaterThanOrEqual(issuedFrom + 900_000);
      expect(access.expiresAt).toBeLessThanOrEqual(issuedTo + 900_000);
      expect(refresh.expiresAt - access.expiresAt).toBeGreaterThanOrEqual(603_900_000 - 1000);
      expect(refresh.expiresAt - access.expiresAt).toBeLessThanOrEqual(603_900_000 + 1000);
    });

    it('refuses a valid access token whose session is revoked, first seen or remembered, and accepts it for a live one', async () => {
      const { accessToken } = await issue(name);
      const revoked = async () => {
        guarded.revokedSessions.add(SESSION);
        try {
          await expect(verify(accessToken, 'access')).rejects.toThrow(InvalidTokenException);
        } finally {
          guarded.revokedSessions.delete(SESSION);
        }
      };
      await revoked();
      await expect(verify(accessToken, 'access')).resolves.toMatchObject({ sub: USER });
      await revoked();
      await expect(verify(accessToken, 'access')).resolves.toMatchObject({ sub: USER });
    });

    it('reads a token without amr (issued before amr existed) as a password sign-in', async () => {
      await expect(verify(await format().forge(access()), 'access')).resolves.toMatchObject({ amr: ['pwd'] });
    });

    it.each<[string, unknown]>([
      ['a string', 'pwd'],
      ['an empty list', []],
      ['a number inside', ['pwd', 1]],
      ['an unknown shape of method', ['PWD OTP']],
      ['too many methods', ['pwd', 'otp', 'sms', 'hwk', 'mfa']],
    ])('refuses a signed token whose amr is %s', async (_case, amr) => {
      await expect(verify(await format().forge(access({ amr })), 'access')).rejects.toThrow(InvalidTokenException);
      await expect(verify(await format().forge(access({ amr: ['pwd', 'otp'] })), 'access')).resolves.toMatchObject({
        amr: ['pwd', 'otp'],
      });
    });

    it('says a token expires at iat plus the lifetime when that comes before its exp', async () => {
      const at = nowSeconds();
      const iat = name === 'jwt' ? at : rfc3339(at);
      const verified = await verify(await format().forge(access({ iat, exp: format().time(5000) })), 'access');
      expect(verified.expiresAt).toBe((at + 900) * 1000);
    });

    it('accepts a well-formed token forged with the real key (the baseline every refusal deviates from)', async () => {
      await expect(verify(await format().forge(access()), 'access')).resolves.toMatchObject({ sub: USER });
      await expect(verify(await format().forge(refresh(), { purpose: 'refresh' }), 'refresh')).resolves.toMatchObject({
        key: 'custom-key',
      });
    });

    const refused: [string, () => Promise<string>, TokenPurpose?][] = [
      // Within the lifetime by iat, so only `exp` can refuse it.
      ['an expired token', () => format().forge(access({ iat: format().time(-60), exp: format().time(-10) }))],
      ['a token without exp', () => format().forge(access({ exp: undefined }))],
      ['a token without iat', () => format().forge(access({ iat: undefined }))],
      [
        'a token older than its lifetime by iat, though exp is later',
        () => format().forge(access({ iat: format().time(-1000), exp: format().time(100) })),
      ],
      ['nbf in the future', () => format().forge(access({ nbf: format().time(300) }))],
      ['wrong iss', () => format().forge(access({ iss: 'evil' }))],
      ['wrong aud', () => format().forge(access({ aud: 'other-api' }))],
      ['no aud', () => format().forge(access({ aud: undefined }))],
      ['wrong typ under the access key', () => format().forge(access({ typ: 'refresh', key: 'k' }))],
      ['a refresh token used as an access token', () => format().forge(refresh(), { purpose: 'refresh' })],
      ['an access token used as a refresh token', () => format().forge(access()), 'refresh'],
      ['a refresh token without the custom key', () => format().forge(refresh({ key: undefined }), { purpose: 'refresh' }), 'refresh'],
      [
        'a foreign key under a real kid',
        () =>
          format().forge(access(), {
            key:
              name === 'jwt' ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey : generateKeyPairSync('ed25519').privateKey,
          }),
      ],
      [
        'an access token signed with the refresh key, under its kid',
        () => {
          const ring = (name === 'jwt' ? keys.jwt! : keys.paseto!).refresh;
          return format().forge(access(), { key: ring.privateKey, kid: ring.kid });
        },
      ],
      [
        'an unknown kid',
        () => format().forge(access(), { kid: name === 'jwt' ? 'no-such-kid' : k4Pid(k4Public(generateKeyPairSync('ed25519').publicKey)) }),
      ],
      ['no kid', () => format().forge(access(), { kid: null })],
      ['a session id that is not a UUID', () => format().forge(access({ sid: "x' OR 1=1" }))],
      ['garbage', async () => (name === 'jwt' ? 'not.a.jwt' : 'v4.public.garbage')],
    ];
    it.each(refused)('refuses %s, beside a legitimate token it accepts', async (_case, make, purpose = 'access') => {
      await expect(verify(await make(), purpose)).rejects.toThrow(InvalidTokenException);
      const legit = purpose === 'access' ? await format().forge(access()) : await format().forge(refresh(), { purpose: 'refresh' });
      await expect(verify(legit, purpose)).resolves.toMatchObject({ sub: USER, typ: purpose });
    });
  });

  describe.each<[TokenFormat]>([['jwt'], ['paseto']])('%s: one token has one spelling (API.md, Tokens have one spelling)', (name) => {
    /** The base64url character whose 6 bits differ from `c`'s only in the `unused` low bits (set to 1). */
    const withUnusedBitsSet = (c: string, unused: number) => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      return alphabet[alphabet.indexOf(c) | ((1 << unused) - 1)];
    };
    /** The segment that holds the signature: the JWT's third, PASETO's body (payload ‖ signature). */
    const signed = 2;
    const respell = (token: string, change: (segment: string) => string) =>
      token
        .split('.')
        .map((segment, i) => (i === signed ? change(segment) : segment))
        .join('.');
    // 256-byte RSA signature: 342 characters, 4 unused bits; PASETO bodies vary, so the body's own count is used.
    const unusedBits = (segment: string) => (6 * segment.length) % 8;

    const spellings: [string, (token: string) => string][] = [
      ['a character outside the alphabet inserted', (t) => respell(t, (s) => `${s.slice(0, 20)}~${s.slice(20)}`)],
      ['padding appended', (t) => respell(t, (s) => `${s}==`)],
      ['a space inside', (t) => respell(t, (s) => `${s.slice(0, 20)} ${s.slice(20)}`)],
      ['standard base64 characters for the url-safe ones', (t) => respell(t, (s) => s.replaceAll('-', '+').replaceAll('_', '/'))],
      // In the first base64url segment whose length leaves bits unused (PASETO's version and purpose are not base64url).
      [
        'the unused trailing bits set',
        (t) => {
          const parts = t.split('.');
          const at = parts.findIndex((segment, i) => i >= (name === 'jwt' ? 0 : 2) && unusedBits(segment) > 0);
          parts[at] = parts[at].slice(0, -1) + withUnusedBitsSet(parts[at].at(-1)!, unusedBits(parts[at]));
          return parts.join('.');
        },
      ],
      ['padding on the first segment', (t) => t.replace('.', '=.')],
      ...(name === 'jwt'
        ? ([
            ['a signature four bytes too long', (t: string) => `${t}AAAAAA`],
            // jsonwebtoken's own check of the text refuses the cases above, not this one: Node's base64
            // decoder drops the bits, so the respelled signature verifies; only TokenText refuses it.
            [
              "the signature's unused trailing bits set",
              (t: string) => respell(t, (sig) => sig.slice(0, -1) + withUnusedBitsSet(sig.at(-1)!, unusedBits(sig))),
            ],
          ] as [string, (token: string) => string][])
        : []),
    ];

    it.each(spellings)('refuses the token with %s, which the cache never answers, and accepts the original', async (_case, change) => {
      // Each change must make another text (the ones a lenient decoder reads as the same bytes are the
      // point); a signature may hold no `-` or `_` to swap, so a token is drawn until it changes.
      let accessToken = (await issue(name)).accessToken;
      for (let draw = 0; change(accessToken) === accessToken && draw < 100; draw++) accessToken = (await issue(name)).accessToken;
      const other = change(accessToken);
      expect(other).not.toBe(accessToken);
      await expect(guarded.verify(accessToken, 'access')).resolves.toMatchObject({ sub: USER });
      const asked = jest.spyOn(guarded.access, 'remembered');
      try {
        await expect(guarded.verify(other, 'access')).rejects.toThrow(InvalidTokenException);
        // The guard may ask the cache before the spelling is checked: only the canonical text was remembered.
        expect(asked.mock.results.filter((result) => result.value !== undefined)).toEqual([]);
      } finally {
        asked.mockRestore();
      }
      await expect(guarded.verify(accessToken, 'access')).resolves.toMatchObject({ sub: USER });
    });

    it('refuses a respelled refresh token too, and accepts the original', async () => {
      const { refreshToken } = await issue(name);
      await expect(
        guarded.verify(
          respell(refreshToken, (s) => `${s}==`),
          'refresh',
        ),
      ).rejects.toThrow(InvalidTokenException);
      await expect(guarded.verify(refreshToken, 'refresh')).resolves.toMatchObject({ sub: USER });
    });
  });

  describe('jwt only', () => {
    const access = (): Claims => ({
      sub: USER,
      sid: SESSION,
      jti: JTI,
      typ: 'access',
      iss: 'todo-api',
      aud: 'todo-api',
      iat: nowSeconds(),
      exp: nowSeconds() + 900,
    });
    const refused: [string, () => string][] = [
      ['alg "none"', () => `${b64({ alg: 'none', typ: 'JWT', kid: keys.jwt!.access.kid })}.${b64(access())}.`],
      [
        'an empty signature',
        () =>
          jwt
            .sign(access(), { privateKey: keys.jwt!.access.privateKey as never, algorithm: 'RS256', keyid: keys.jwt!.access.kid })
            .replace(/\.[^.]+$/, '.'),
      ],
      [
        'HS256 signed with the public PEM as the secret',
        () => {
          const pem = createPublicKey(keys.jwt!.access.privateKey).export({ type: 'spki', format: 'pem' }) as string;
          const unsigned = `${b64({ alg: 'HS256', typ: 'JWT', kid: keys.jwt!.access.kid })}.${b64(access())}`;
          return `${unsigned}.${createHmac('sha256', pem).update(unsigned).digest('base64url')}`;
        },
      ],
      [
        'a tampered payload',
        () => {
          const [header, , signature] = jwt
            .sign(access(), { privateKey: keys.jwt!.access.privateKey as never, algorithm: 'RS256', keyid: keys.jwt!.access.kid })
            .split('.');
          return `${header}.${b64({ ...access(), sub: '99999999-9999-4999-8999-999999999999' })}.${signature}`;
        },
      ],
      ...(['RS512', 'PS256'] as const).map((alg): [string, () => string] => [
        `${alg} signed with the real RSA key (the algorithm is pinned, not taken from the header)`,
        () => jwt.sign(access(), { privateKey: keys.jwt!.access.privateKey as never, algorithm: alg, keyid: keys.jwt!.access.kid }),
      ]),
      [
        'a jku header pointing elsewhere (ignored: still an unknown kid)',
        () =>
          jwt.sign(access(), {
            privateKey: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey as never,
            algorithm: 'RS256',
            header: { alg: 'RS256', kid: 'attacker', jku: 'https://attacker.example/jwks.json' },
          }),
      ],
    ];
    it.each(refused)('refuses %s', async (_case, make) => {
      await expect(guarded.verify(make(), 'access')).rejects.toThrow(InvalidTokenException);
      await expect(
        guarded.verify(
          jwt.sign(access(), { privateKey: keys.jwt!.access.privateKey as never, algorithm: 'RS256', keyid: keys.jwt!.access.kid }),
          'access',
        ),
      ).resolves.toMatchObject({ sub: USER });
    });

    // Headers this maker writes are matched as strings; any other is parsed. Both paths hold the same rules.
    it('accepts a correctly signed token whose header is written differently (parsed, not matched), and refuses it under the wrong purpose', async () => {
      const reordered = (purpose: 'access' | 'refresh', claims: object) => {
        const input = `${b64({ kid: keys.jwt![purpose].kid, typ: 'JWT', alg: 'RS256' })}.${b64(claims)}`;
        return `${input}.${createSign('sha256').update(input).sign(keys.jwt![purpose].privateKey).toString('base64url')}`;
      };
      await expect(guarded.verify(reordered('access', access()), 'access')).resolves.toMatchObject({ sub: USER, typ: 'access' });
      await expect(guarded.verify(reordered('access', access()), 'refresh')).rejects.toThrow(InvalidTokenException);
      const issued = (await issue('jwt')).accessToken;
      await expect(guarded.verify(issued, 'access')).resolves.toMatchObject({ sub: USER });
      await expect(guarded.verify(issued, 'refresh')).rejects.toThrow(InvalidTokenException);
    });
  });

  describe('paseto only', () => {
    let legit: string;
    const split = (token: string) => {
      const [version, purpose, body, footer] = token.split('.');
      return { version, purpose, body: Buffer.from(body, 'base64url'), footer };
    };
    beforeAll(async () => {
      legit = (await issue('paseto')).accessToken;
    });

    it("writes v4.public tokens with RFC 3339 times and the signing key's k4.pid in a JSON footer", async () => {
      const { version, purpose, body, footer } = split(legit);
      expect(`${version}.${purpose}`).toBe('v4.public');
      expect(JSON.parse(Buffer.from(footer, 'base64url').toString())).toEqual({ kid: keys.paseto!.access.kid });
      expect(keys.paseto!.access.kid).toMatch(/^k4\.pid\.[A-Za-z0-9_-]{44}$/);
      const claims = JSON.parse(body.subarray(0, -64).toString());
      expect(claims).toMatchObject({ sub: USER, sid: SESSION, typ: 'access', iss: 'todo-api', aud: 'todo-api' });
      expect(claims.exp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(claims.exp) - Date.parse(claims.iat)).toBe(900_000);
    });

    it('verifies with a second, independent implementation (paseto-ts), key taken from the PASERK set', () => {
      const published = keys.paserk.keys.find((k) => k.kid === keys.paseto!.access.kid)!;
      const { payload, footer } = pasetoTsVerify(published.paserk, legit, { validatePayload: true });
      expect(footer).toEqual({ kid: published.kid });
      // paseto-ts checks that iss and aud are strings, not their values.
      expect(payload).toMatchObject({ sub: USER, sid: SESSION, typ: 'access', iss: 'todo-api', aud: 'todo-api' });
      const { body, footer: rawFooter } = split(legit);
      body[body.length - 10] ^= 1;
      expect(() => pasetoTsVerify(published.paserk, `v4.public.${body.toString('base64url')}.${rawFooter}`)).toThrow();
    });

    const refused: [string, () => Promise<string> | string][] = [
      [
        'a tampered payload (same signature)',
        () => {
          const { body, footer } = split(legit);
          const claims = JSON.parse(body.subarray(0, -64).toString());
          const forged = Buffer.concat([
            Buffer.from(JSON.stringify({ ...claims, sub: '99999999-9999-4999-8999-999999999999' })),
            body.subarray(-64),
          ]);
          return `v4.public.${forged.toString('base64url')}.${footer}`;
        },
      ],
      ['the footer removed', () => legit.split('.').slice(0, 3).join('.')],
      [
        'a footer with an extra field beside the real kid, even signed with the real key',
        async () => {
          const claims = JSON.parse(split(legit).body.subarray(0, -64).toString());
          return v4.Sign(await pasetoSecret(keys.paseto!.access.privateKey), claims, {
            footer: new TextEncoder().encode(JSON.stringify({ kid: keys.paseto!.access.kid, wpk: 'x' })),
            addIssuedAt: false,
          });
        },
      ],
      ['a footer that is not JSON', () => `${legit.split('.').slice(0, 3).join('.')}.${Buffer.from('kid').toString('base64url')}`],
      ['a v4.local header on the same payload', () => legit.replace(/^v4\.public\./, 'v4.local.')],
      ['a v3.public header on the same payload', () => legit.replace(/^v4\.public\./, 'v3.public.')],
      ['a v2.public header on the same payload', () => legit.replace(/^v4\.public\./, 'v2.public.')],
      [
        'a v4.local token encrypted with the public key bytes as the symmetric key',
        () => {
          const paserk = k4Public(createPublicKey(keys.paseto!.access.privateKey));
          const claims = JSON.parse(split(legit).body.subarray(0, -64).toString());
          return pasetoTsEncrypt(`k4.local.${paserk.slice('k4.public.'.length)}`, claims, { footer: { kid: keys.paseto!.access.kid } });
        },
      ],
      [
        'a token bound to an implicit assertion',
        async () => {
          const claims = JSON.parse(split(legit).body.subarray(0, -64).toString());
          return v4.Sign(await pasetoSecret(keys.paseto!.access.privateKey), claims, {
            footer: new TextEncoder().encode(JSON.stringify({ kid: keys.paseto!.access.kid })),
            addIssuedAt: false,
            implicitAssertion: new TextEncoder().encode('tenant-1'),
          });
        },
      ],
    ];
    it.each(refused)('refuses %s', async (_case, make) => {
      await expect(guarded.verify(await make(), 'access')).rejects.toThrow(InvalidTokenException);
      await expect(guarded.verify(legit, 'access')).resolves.toMatchObject({ sub: USER });
    });
  });
});

describe('checkClaims', () => {
  const claims = { sub: USER, sid: SESSION, jti: JTI, typ: 'access' };

  it('refuses a lifetime that is not a finite number, which would never end', () => {
    expect(checkClaims(claims, 'access', 1_000)).toEqual({ ...claims, amr: ['pwd'], expiresAt: 1_000 });
    expect(checkClaims(claims, 'access', Infinity)).toBeUndefined();
    expect(checkClaims(claims, 'access', NaN)).toBeUndefined();
  });
});
