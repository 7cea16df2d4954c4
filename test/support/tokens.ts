import { JwtService } from '@nestjs/jwt';
import type { KeyObject } from 'node:crypto';
import { PublicProtocol } from 'paseto';
import { ImportSecretKeyFactory, SignFactory } from 'paseto/v4/public';
import type { TokenFormat } from '../../src/auth/tokens/key-files.js';
import { KeyStore } from '../../src/auth/tokens/key-store.js';

type Purpose = 'access' | 'refresh';
type Claims = Record<string, unknown>;
const jwt = new JwtService({});
const v4 = new PublicProtocol(SignFactory, ImportSecretKeyFactory);

/** The claims of a JWT or PASETO v4.public token, read without verifying anything. */
export function claimsOf(token: string): Claims {
  if (token.startsWith('v4.public.')) {
    return JSON.parse(Buffer.from(token.split('.')[2], 'base64url').subarray(0, -64).toString()) as Claims;
  }
  return jwt.decode<Claims>(token);
}

export const formatOf = (token: string): TokenFormat => (token.startsWith('v4.') ? 'paseto' : 'jwt');

/** PASETO's registered times are RFC 3339 strings with whole seconds; JWT's are NumericDate. */
export function timeIn(format: TokenFormat, offsetSeconds: number): number | string {
  const seconds = Math.floor(Date.now() / 1000) + offsetSeconds;
  return format === 'jwt' ? seconds : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Signs arbitrary claims as someone holding the service's private keys (KEYS_DIR) would, or with
 * `key` under the real kid: the e2e attack tables start from tokens the service would accept.
 */
export async function forge(
  format: TokenFormat,
  purpose: Purpose,
  claims: Claims,
  options: { key?: KeyObject; kid?: string } = {},
): Promise<string> {
  const keys = await KeyStore.load({ KEYS_DIR: process.env.KEYS_DIR!, NODE_ENV: 'test', TOKEN_FORMAT: format });
  const ring = keys.rings[format]![purpose];
  const privateKey = options.key ?? ring.privateKey;
  const kid = options.kid ?? ring.kid;
  const body = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  if (format === 'jwt') {
    return jwt.sign(body, {
      privateKey: privateKey as never,
      algorithm: 'RS256',
      keyid: kid,
      ...(body.iat === undefined ? { noTimestamp: true } : {}),
    });
  }
  const { d, x } = privateKey.export({ format: 'jwk' });
  const secret = await v4.ImportSecretKey(
    `k4.secret.${Buffer.concat([Buffer.from(d!, 'base64url'), Buffer.from(x!, 'base64url')]).toString('base64url')}`,
  );
  return v4.Sign(secret, body as Record<string, string>, {
    footer: new TextEncoder().encode(JSON.stringify({ kid })),
    addIssuedAt: false,
    ...(body.exp === undefined ? { nonExpiring: true } : {}),
  });
}
