import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  validateSync,
} from 'class-validator';
import { applyDecorators } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { IsParsableBy, parseCorsOrigins, parseTrustProxy } from './operations.js';

/** Anything but plain digits stays a string and fails `@IsInt`: `15m` or `1e3` is not a number of seconds. */
const ToInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value,
  );

/** Required only with SMS_PROVIDER=vonage; one message: missing, or not in the expected form. */
function VonageSetting(pattern: RegExp, form: string): PropertyDecorator {
  const required = ValidateIf((env: Environment) => env.SMS_PROVIDER === 'vonage');
  const valid = ValidateBy({
    name: 'vonageSetting',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && pattern.test(value),
      defaultMessage: (args) => (args?.value === undefined ? 'is required when SMS_PROVIDER=vonage' : `must be ${form}`),
    },
  });
  return (target, key) => {
    required(target, key);
    valid(target, key);
  };
}

/** A whole number from `min` to `max`; every failure says `message` (e.g. "must be an integer from 1 to 65535"). */
const IntegerIn = (min: number, max: number, message: string) =>
  applyDecorators(ToInt(), IsInt({ message }), Min(min, { message }), Max(max, { message }));

/** What an unset (or empty) variable means. */
const DEFAULTS = {
  NODE_ENV: 'development',
  PORT: '3000',
  EMBEDDED_PG_PORT: '54329',
  KEYS_DIR: './keys',
  JWT_ACCESS_TTL: '900',
  JWT_REFRESH_TTL: '604800',
  ACCESS_TOKEN_CACHE_SIZE: '10000',
  JWT_ISSUER: 'todo-api',
  JWT_AUDIENCE: 'todo-api',
  BCRYPT_ROUNDS: '12',
  AUTH_RATE_LIMIT: '10',
  AUTH_RATE_TTL: '60',
  TOKEN_FORMAT: 'jwt',
  REFRESH_REUSE_GRACE: '0',
  LOG_LEVEL: 'info',
  QUEUE_POLL_INTERVAL_MS: '2000',
  MAIL_FROM: 'Todo API <no-reply@localhost>',
  EMAIL_VERIFY_TTL: '86400',
  PASSWORD_RESET_TTL: '1800',
  QUEUE_RETRY_DELAY: '2',
  SMS_PROVIDER: 'log',
  VONAGE_API_URL: 'https://api.nexmo.com',
  LOGIN_ACCOUNT_LIMIT: '10',
  LOGIN_ACCOUNT_WINDOW: '900',
  PASSWORD_CHECK_LIMIT: '5',
  PASSWORD_CHECK_WINDOW: '900',
  BCRYPT_QUEUE_LIMIT: '64',
  MAIL_COOLDOWN: '60',
  MAIL_DAILY_LIMIT: '10',
  SMS_DAILY_LIMIT: '20',
  PHONE_CODE_COOLDOWN: '60',
  TODO_RATE_LIMIT: '60',
} satisfies Partial<Record<keyof Environment, string>>;

/** Every variable the service reads, declared once and validated at start-up (API.md, Configuration). */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test';

  @IntegerIn(1, 65535, 'must be an integer from 1 to 65535')
  PORT: number;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+(\?\S*)?$/, {
    message: 'must look like postgres://user:pass@host:5432/db',
  })
  DATABASE_URL?: string;

  @IntegerIn(1, 65535, 'must be an integer from 1 to 65535')
  EMBEDDED_PG_PORT: number;

  @IsString()
  @IsNotEmpty()
  KEYS_DIR: string;

  @IntegerIn(60, 86_400, 'must be a whole number of seconds from 60 to 86400')
  JWT_ACCESS_TTL: number;

  @IntegerIn(300, 31_536_000, 'must be a whole number of seconds from 300 to 31536000')
  JWT_REFRESH_TTL: number;

  /**
   * How many verified access tokens are remembered (tokens/verified-tokens.ts), so a token's
   * signature is checked once per instance rather than on every request; 0 checks it every time.
   */
  @IntegerIn(0, 1_000_000, 'must be an integer from 0 to 1000000')
  ACCESS_TOKEN_CACHE_SIZE: number;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  JWT_ISSUER: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  JWT_AUDIENCE: string;

  @IntegerIn(4, 16, 'must be an integer from 4 to 16')
  BCRYPT_ROUNDS: number;

  @IntegerIn(1, Number.MAX_SAFE_INTEGER, 'must be a positive integer')
  AUTH_RATE_LIMIT: number;

  @IntegerIn(1, Number.MAX_SAFE_INTEGER, 'must be a positive whole number of seconds')
  AUTH_RATE_TTL: number;

  /** The format new tokens are issued in; every format whose keys are present is verified. */
  @IsIn(['jwt', 'paseto'], { message: 'must be jwt or paseto' })
  TOKEN_FORMAT: 'jwt' | 'paseto';

  /** Seconds during which a session's most recently spent refresh token may be presented again. */
  @IntegerIn(0, 60, 'must be a whole number of seconds from 0 to 60')
  REFRESH_REUSE_GRACE: number;

  /** How often an idle worker looks for due messages (retries); new ones wake it through NOTIFY. */
  @IntegerIn(500, 60_000, 'must be a whole number of milliseconds from 500 to 60000')
  QUEUE_POLL_INTERVAL_MS: number;

  /** Public base URL of links in mail; unset, `http://localhost:${PORT}`. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'must be an http(s) URL without query or fragment, e.g. https://app.example.com' })
  APP_URL: string;

  /** Unset: mail is written to the log instead of sent. */
  @IsOptional()
  @Matches(/^smtps?:\/\/[^\s/?#]+(\/?|\/?\?\S*)$/, { message: 'must look like smtp://user:pass@host:587 or smtps://host:465' })
  SMTP_URL?: string;

  // A display name and an address (`Name <a@b.example>`) or a bare address; no line breaks (header injection).
  @Matches(/^([^\r\n<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, {
    message: 'must be an address, optionally with a name: "Todo API <no-reply@example.com>"',
  })
  @MaxLength(320)
  MAIL_FROM: string;

  @IntegerIn(60, 2_592_000, 'must be a whole number of seconds from 60 to 2592000')
  EMAIL_VERIFY_TTL: number;

  @IntegerIn(60, 86_400, 'must be a whole number of seconds from 60 to 86400')
  PASSWORD_RESET_TTL: number;

  /**
   * Seconds before a failed delivery's first retry (the first waits 1 to 2 times this, each later
   * one twice as long, to a 5-minute cap). Tests shorten it; 2 keeps the first retry within 5 s.
   */
  @IntegerIn(1, 60, 'must be a whole number of seconds from 1 to 60')
  QUEUE_RETRY_DELAY: number;

  @IsIn(['log', 'vonage'], { message: 'must be log or vonage' })
  SMS_PROVIDER: 'log' | 'vonage';

  @VonageSetting(/^\S+$/, 'without spaces')
  VONAGE_API_KEY?: string;

  @VonageSetting(/^\S+$/, 'without spaces')
  VONAGE_API_SECRET?: string;

  /** Vonage takes an alphanumeric sender id (at most 11 characters) or a number (at most 15 digits). */
  @VonageSetting(/^([A-Za-z0-9][A-Za-z0-9 ]{0,10}|\d{1,15})$/, 'a sender id of 1 to 11 letters, digits or spaces, or a number of at most 15 digits')
  VONAGE_FROM?: string;

  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'must be an http(s) URL without query or fragment, e.g. https://api.nexmo.com',
  })
  VONAGE_API_URL: string;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

  /** Unset: rate-limit counters in Postgres. */
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'must look like redis://host:6379' })
  REDIS_URL?: string;

  /** Unset: X-Forwarded-For is ignored. Parsed by parseTrustProxy. */
  @IsOptional()
  @IsParsableBy(parseTrustProxy, 'must be true, false, a hop count, or comma-separated IP addresses/CIDRs')
  TRUST_PROXY?: string;

  /** Unset: no CORS headers. Parsed by parseCorsOrigins. */
  @IsOptional()
  @IsParsableBy(parseCorsOrigins, 'must be comma-separated exact origins such as https://app.example.com')
  CORS_ORIGINS?: string;

  @IsOptional()
  @Matches(/^\S{16,}$/, { message: 'must be at least 16 characters without spaces' })
  METRICS_TOKEN?: string;

  // Abuse limits (API.md, Abuse limits); what each counts is the table in common/rate-limit/limits.ts.
  @IntegerIn(1, 1_000_000, 'must be an integer from 1 to 1000000')
  LOGIN_ACCOUNT_LIMIT: number;

  @IntegerIn(1, 86_400, 'must be a whole number of seconds from 1 to 86400')
  LOGIN_ACCOUNT_WINDOW: number;

  @IntegerIn(1, 1_000_000, 'must be an integer from 1 to 1000000')
  PASSWORD_CHECK_LIMIT: number;

  @IntegerIn(1, 86_400, 'must be a whole number of seconds from 1 to 86400')
  PASSWORD_CHECK_WINDOW: number;

  @IntegerIn(1, 100_000, 'must be an integer from 1 to 100000')
  BCRYPT_QUEUE_LIMIT: number;

  @IntegerIn(1, 86_400, 'must be a whole number of seconds from 1 to 86400')
  MAIL_COOLDOWN: number;

  @IntegerIn(1, 10_000, 'must be an integer from 1 to 10000')
  MAIL_DAILY_LIMIT: number;

  @IntegerIn(1, 10_000, 'must be an integer from 1 to 10000')
  SMS_DAILY_LIMIT: number;

  @IntegerIn(1, 86_400, 'must be a whole number of seconds from 1 to 86400')
  PHONE_CODE_COOLDOWN: number;

  /** Unset: every country. Comma-separated ISO 3166-1 alpha-2 codes, upper-cased when read. */
  @IsOptional()
  @Matches(/^\s*[A-Za-z]{2}\s*(,\s*[A-Za-z]{2}\s*)*$/, { message: 'must be comma-separated ISO 3166 country codes, e.g. GB,FR,US' })
  SMS_COUNTRIES?: string;

  @IntegerIn(1, 1_000_000, 'must be an integer from 1 to 1000000')
  TODO_RATE_LIMIT: number;

  /**
   * Seconds between SIGTERM (readiness turns 503) and closing the server, so proxies stop routing
   * here first. Unset: 5 in production, 0 elsewhere (`nest start --watch` restarts with SIGTERM).
   */
  @IsOptional()
  @IntegerIn(0, 60, 'must be a whole number of seconds from 0 to 60')
  SHUTDOWN_DELAY?: number;
}

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * Validates the raw environment. The error is a single line that names every
 * offending variable, e.g. `Invalid configuration: PORT must be an integer from 1 to 65535`.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const known = new Set<string>([
    ...Object.keys(DEFAULTS),
    'DATABASE_URL',
    'VONAGE_API_KEY',
    'VONAGE_API_SECRET',
    'VONAGE_FROM',
    'REDIS_URL',
    'TRUST_PROXY',
    'CORS_ORIGINS',
    'METRICS_TOKEN',
    'SHUTDOWN_DELAY',
    'APP_URL',
    'SMTP_URL',
    'SMS_COUNTRIES',
  ]);
  const given = Object.fromEntries(
    Object.entries(raw).filter(([name, value]) => known.has(name) && value !== undefined && value !== ''),
  );
  const env = plainToInstance(Environment, { ...DEFAULTS, ...given });
  const errors = validateSync(env, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) {
    const problems = errors.map((e) => {
      const messages = Object.values(e.constraints ?? {}).map((m) => m.replace(new RegExp(`^${e.property} `), ''));
      return `${e.property} ${[...new Set(messages)].join(', ')}`;
    });
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  // API.md, Abuse limits: `true` believes any client's X-Forwarded-For, so every per-address limit is the client's to pick.
  if (env.NODE_ENV === 'production' && env.TRUST_PROXY !== undefined && parseTrustProxy(env.TRUST_PROXY) === true) {
    throw new ConfigurationError(
      'Invalid configuration: TRUST_PROXY=true believes any client in production; set it to your proxies\' addresses/CIDRs or a hop count',
    );
  }
  // Links are `${APP_URL}/path`: no trailing slash, whatever was given.
  env.APP_URL = (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  // The client appends `/v1/messages` itself.
  env.VONAGE_API_URL = env.VONAGE_API_URL.replace(/\/+$/, '');
  return env;
}

/** Typed configuration access: `config.get('PORT', { infer: true })` is a number. */
export type AppConfig = ConfigService<Environment, true>;

/** The validated environment: the process's variables, with a `.env` file's beneath them when one exists. */
export function loadEnvironment(): Environment {
  // process.loadEnvFile never overrides a variable that is already set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  return validateEnvironment(process.env);
}
