import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, validateEnvironment } from './environment.js';

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
