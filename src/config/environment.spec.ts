import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, validateEnvironment, VARIABLES } from './environment.js';

describe('validateEnvironment', () => {
  it('fills every documented default when nothing is set', () => {
    const env = validateEnvironment({});
    expect(env).toMatchObject({
      PORT: 3000,
      KEYS_DIR: './keys',
      JWT_ACCESS_TTL: 900,
      JWT_REFRESH_TTL: 604800,
      JWT_ISSUER: 'todo-api',
      JWT_AUDIENCE: 'todo-api',
      BCRYPT_ROUNDS: 12,
      AUTH_RATE_LIMIT: 10,
      AUTH_RATE_TTL: 60,
      TOKEN_FORMAT: 'jwt',
      REFRESH_REUSE_GRACE: 0,
      ACCESS_TOKEN_CACHE_SIZE: 10000,
    });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(validateEnvironment({ ACCESS_TOKEN_CACHE_SIZE: '0' }).ACCESS_TOKEN_CACHE_SIZE).toBe(0);
  });

  it('accepts the operations variables in their documented forms', () => {
    for (const TRUST_PROXY of ['true', '2', '127.0.0.1', '10.0.0.0/8, 172.16.0.0/12,::1', 'fd00::/8']) {
      expect(validateEnvironment({ TRUST_PROXY }).TRUST_PROXY).toBe(TRUST_PROXY);
    }
    const env = validateEnvironment({
      REDIS_URL: 'redis://cache:6379',
      CORS_ORIGINS: 'https://app.example.com,http://localhost:5173',
      METRICS_TOKEN: 'a-long-enough-secret',
      SHUTDOWN_DELAY: '0',
    });
    expect(env).toMatchObject({ REDIS_URL: 'redis://cache:6379', METRICS_TOKEN: 'a-long-enough-secret', SHUTDOWN_DELAY: 0 });
    expect(validateEnvironment({}).SHUTDOWN_DELAY).toBeUndefined();
  });

  it('defaults the mail settings, APP_URL following PORT', () => {
    const env = validateEnvironment({ PORT: '8080' });
    expect(env).toMatchObject({
      APP_URL: 'http://localhost:8080',
      MAIL_FROM: 'Todo API <no-reply@localhost>',
      EMAIL_VERIFY_TTL: 86400,
      PASSWORD_RESET_TTL: 1800,
    });
    expect(env.SMTP_URL).toBeUndefined();
  });

  it('keeps the mail settings it is given, APP_URL without a trailing slash', () => {
    const env = validateEnvironment({
      APP_URL: 'https://app.example.com/todo/',
      SMTP_URL: 'smtps://user:p%40ss@mail.example.com:465',
      MAIL_FROM: 'no-reply@example.com',
    });
    expect(env.APP_URL).toBe('https://app.example.com/todo');
    expect(env.SMTP_URL).toBe('smtps://user:p%40ss@mail.example.com:465');
    expect(env.MAIL_FROM).toBe('no-reply@example.com');
  });

  it('defaults the passkey relying party to localhost and the origin of APP_URL', () => {
    expect(validateEnvironment({ PORT: '8080' })).toMatchObject({ WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'http://localhost:8080' });
    expect(validateEnvironment({ APP_URL: 'https://app.example.com/todo/' }).WEBAUTHN_ORIGINS).toBe('https://app.example.com');
    const given = validateEnvironment({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://app.example.com,https://example.com' });
    expect(given).toMatchObject({ WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://app.example.com,https://example.com' });
  });

  it.each([
    ['WEBAUTHN_RP_ID', 'https://example.com', 'WEBAUTHN_RP_ID must be a lower-case host name'],
    ['WEBAUTHN_RP_ID', 'example.com:443', 'WEBAUTHN_RP_ID must be a lower-case host name'],
    ['WEBAUTHN_ORIGINS', 'https://example.com/path', 'WEBAUTHN_ORIGINS must be comma-separated exact origins'],
  ])('refuses %s=%s', (name, value, message) => {
    expect(() => validateEnvironment({ [name]: value })).toThrow(message);
  });

  it('takes MFA encryption keys of 32 bytes in base64 and names the variable of any other', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const old = Buffer.alloc(32, 9).toString('base64url');
    expect(validateEnvironment({ MFA_ENCRYPTION_KEY: key, MFA_ENCRYPTION_KEYS_RETIRED: `${old},${key}` })).toMatchObject({
      MFA_ENCRYPTION_KEY: key,
      MFA_ENCRYPTION_KEYS_RETIRED: `${old},${key}`,
    });
    expect(validateEnvironment({}).MFA_ENCRYPTION_KEY).toBeUndefined();
    for (const [name, value] of [
      ['MFA_ENCRYPTION_KEY', Buffer.alloc(16).toString('base64')],
      ['MFA_ENCRYPTION_KEY', 'not a key'],
      ['MFA_ENCRYPTION_KEYS_RETIRED', `${key},`],
    ]) {
      expect(() => validateEnvironment({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} must be`));
    }
  });

  it('parses numbers and keeps a valid database url', () => {
    const env = validateEnvironment({ PORT: '8080', DATABASE_URL: 'postgres://u:p@db:5432/app', BCRYPT_ROUNDS: '4' });
    expect(env.PORT).toBe(8080);
    expect(env.BCRYPT_ROUNDS).toBe(4);
    expect(env.DATABASE_URL).toBe('postgres://u:p@db:5432/app');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['JWT_ACCESS_TTL', '15m'],
    ['BCRYPT_ROUNDS', '3'],
    ['DATABASE_URL', 'mysql://x@y/z'],
    ['AUTH_RATE_LIMIT', '0'],
    ['NODE_ENV', 'staging'],
    ['TOKEN_FORMAT', 'PASETO'],
    ['TOKEN_FORMAT', 'v4.public'],
    ['REFRESH_REUSE_GRACE', '61'],
    ['REFRESH_REUSE_GRACE', '-1'],
    ['REFRESH_REUSE_GRACE', '5s'],
    ['ACCESS_TOKEN_CACHE_SIZE', '-1'],
    ['ACCESS_TOKEN_CACHE_SIZE', '1e4'],
    ['ACCESS_TOKEN_CACHE_SIZE', '1000001'],
    ['REDIS_URL', 'localhost:6379'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'yes'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', '*'],
    ['METRICS_TOKEN', 'short'],
    ['SHUTDOWN_DELAY', '61'],
    ['APP_URL', 'app.example.com'],
    ['APP_URL', 'https://app.example.com/?x=1'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['MAIL_FROM', 'Todo API <no-reply@example.com>\r\nBcc: x@evil.example'],
    ['MAIL_FROM', 'nobody'],
    ['EMAIL_VERIFY_TTL', '10'],
    ['PASSWORD_RESET_TTL', '1d'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
  ])('refuses %s=%s with one line that names the variable', (name, value) => {
    let error: unknown;
    try {
      validateEnvironment({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
  });
});

describe('the configuration schema', () => {
  it('says what a refused variable accepts, in the words of its declaration', () => {
    expect(() => validateEnvironment({ PORT: '70000' })).toThrow(
      new ConfigurationError('Invalid configuration: PORT must be an integer from 1 to 65535'),
    );
    expect(() => validateEnvironment({ NODE_ENV: 'staging' })).toThrow(
      new ConfigurationError('Invalid configuration: NODE_ENV must be development, production or test'),
    );
  });

  it('names every bad variable on the one line, once each', () => {
    let message = '';
    try {
      validateEnvironment({ PORT: 'abc', BCRYPT_ROUNDS: '99', TOKEN_FORMAT: 'x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'Invalid configuration: PORT must be an integer from 1 to 65535; BCRYPT_ROUNDS must be an integer from 4 to 16; TOKEN_FORMAT must be jwt or paseto',
    );
  });

  it('ignores variables it does not declare, and treats an empty one as unset', () => {
    const env = validateEnvironment({ PATH: '/usr/bin', PORT: '', SOMETHING_ELSE: 'x' });
    expect(env.PORT).toBe(3000);
    expect(Object.keys(env).filter((name) => !(name in VARIABLES))).toEqual([]);
  });

  it('declares a meaning for every variable, and a default, what unset means, or when it is required', () => {
    for (const [name, declared] of Object.entries(VARIABLES)) {
      const d = declared as { meaning: string; default?: string; unset?: string; requiredWhen?: object };
      expect({ name, meaning: d.meaning.length > 0 }).toEqual({ name, meaning: true });
      expect({ name, documented: [d.default, d.unset, d.requiredWhen].filter((x) => x !== undefined).length }).toEqual({
        name,
        documented: 1,
      });
    }
  });
});
