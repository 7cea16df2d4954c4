import type { ConfigService } from '@nestjs/config';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { parseWholeNumber } from '../common/whole-number.js';
import { parseCorsOrigins, parseTrustProxy } from './operations.js';

/**
 * What a variable's raw text must be and what it becomes. `accepts` is said twice from this one
 * place: in every refusal (`PORT must be an integer from 1 to 65535`) and in the configuration tables.
 */
interface Rule<T> {
  accepts: string;
  schema: z.ZodType<T, string>;
}

function rule<T>(accepts: string, schema: (error: string) => z.ZodType<T, string>): Rule<T> {
  return { accepts, schema: schema(`must be ${accepts}`) };
}

/** Plain digits only: `15m` or `1e3` is not a number of seconds. */
const integer = (min: number, max: number, accepts = `an integer from ${min} to ${max}`) =>
  rule(accepts, (error) =>
    z
      .string()
      .transform((text) => parseWholeNumber(text) ?? NaN)
      .refine((n) => n >= min && n <= max, { error }),
  );

const seconds = (min: number, max: number) => integer(min, max, `a whole number of seconds from ${min} to ${max}`);

const spelled = (values: readonly string[]) => `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;

const oneOf = <const V extends readonly [string, ...string[]]>(values: V) => rule(spelled(values), (error) => z.enum(values, { error }));

const matching = (pattern: RegExp, accepts: string, maxLength = Infinity) =>
  rule(accepts, (error) => z.string().regex(pattern, { error }).max(maxLength, { error }));

const text = (maxLength: number) =>
  rule(`text of 1 to ${maxLength} characters`, (error) => z.string().min(1, { error }).max(maxLength, { error }));

/** Checked by the parser that later reads it (config/operations.ts), so the two can never disagree. */
const parsableBy = (parse: (raw: string) => unknown, accepts: string) =>
  rule(accepts, (error) => z.string().refine((value) => parse(value) !== undefined, { error }));

/** An http(s) base URL; a trailing `/` is dropped, since links are built as `${url}/path`. */
const baseUrl = (example: string) =>
  rule(`an http(s) URL without query or fragment, e.g. ${example}`, (error) =>
    z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { error })
      .transform((url) => url.replace(/\/+$/, '')),
  );

/** One variable: its rule, and either its default (raw text, parsed like a given value) or what unset means. */
interface Declared<T> {
  rule: Rule<T>;
  default?: string;
  /** What leaving it unset means, for a variable without a default ("the embedded database"). */
  unset?: string;
  /** Required only when another variable has a given value. */
  requiredWhen?: { variable: string; value: string };
  /** What it is for: the tables' "meaning" column. */
  meaning: string;
}

type Variable<T, S extends z.ZodType> = Declared<T> & { schema: S };

function variable<T>(
  rule: Rule<T>,
  doc: Omit<Declared<T>, 'rule' | 'unset' | 'requiredWhen'> & { default: string },
): Variable<T, z.ZodType<T, string>>;
function variable<T>(rule: Rule<T>, doc: Omit<Declared<T>, 'rule' | 'default'>): Variable<T, z.ZodOptional<z.ZodType<T, string>>>;
function variable<T>(rule: Rule<T>, doc: Omit<Declared<T>, 'rule'>): Variable<T, z.ZodType> {
  return { ...doc, rule, schema: doc.default === undefined ? rule.schema.optional() : rule.schema };
}

const REQUIRED_FOR_VONAGE = { variable: 'SMS_PROVIDER', value: 'vonage' };

/** 32 bytes in base64 (44 characters, one `=`) or base64url (43). */
const MFA_KEY = /^([A-Za-z0-9+/]{43}=|[A-Za-z0-9_-]{43})$/;

/**
 * Every variable the service reads, declared once: name, type and range (the rule), default, and
 * meaning. Validation, the `Environment` type, the typed ConfigService and the configuration tables
 * of README.md and docs/API.md (`npm run docs:config`) are all derived from this. Adding a variable
 * is adding one entry here.
 */
export const VARIABLES = {
  NODE_ENV: variable(oneOf(['development', 'production', 'test']), {
    default: 'development',
    meaning: '`production` refuses to generate keys, marks the refresh cookie `Secure` and logs JSON',
  }),
  PORT: variable(integer(1, 65535), { default: '3000', meaning: 'HTTP port' }),
  DATABASE_URL: variable(matching(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+(\?\S*)?$/, 'a URL like postgres://user:pass@host:5432/db'), {
    unset: 'the embedded database (`npm run db:reset` removes its data)',
    meaning: 'the PostgreSQL database',
  }),
  EMBEDDED_PG_PORT: variable(integer(1, 65535), {
    default: '54329',
    meaning: 'port of the embedded database (used when `DATABASE_URL` is unset)',
  }),
  KEYS_DIR: variable(
    rule('a path', (error) => z.string().min(1, { error })),
    {
      default: './keys',
      meaning: 'folder of the PEM key files (docs/API.md, Keys)',
    },
  ),
  JWT_ACCESS_TTL: variable(seconds(60, 86_400), { default: '900', meaning: 'access token lifetime' }),
  JWT_REFRESH_TTL: variable(seconds(300, 31_536_000), { default: '604800', meaning: 'refresh token (session) lifetime' }),
  // About 370 bytes an entry (measured): the maximum stays under 40 MB of the 192 MB production heap.
  ACCESS_TOKEN_CACHE_SIZE: variable(integer(0, 100_000), {
    default: '10000',
    meaning:
      "access tokens each instance remembers after a strategy accepted them (~370 bytes each), so a token's signature is checked once, not on every request; `0` checks it every time. Only canonical token texts, keyed by their SHA-256; expiry and session are still checked on every request",
  }),
  JWT_ISSUER: variable(text(200), { default: 'todo-api', meaning: "the tokens' `iss`" }),
  JWT_AUDIENCE: variable(text(200), { default: 'todo-api', meaning: "the tokens' `aud`" }),
  BCRYPT_ROUNDS: variable(integer(4, 16), { default: '12', meaning: 'bcrypt cost of password hashes' }),
  AUTH_RATE_LIMIT: variable(integer(1, Number.MAX_SAFE_INTEGER, 'a positive integer'), {
    default: '10',
    meaning: 'requests per client per `AUTH_RATE_TTL` on login, signup and refresh',
  }),
  AUTH_RATE_TTL: variable(integer(1, Number.MAX_SAFE_INTEGER, 'a positive whole number of seconds'), {
    default: '60',
    meaning: 'the rate-limit window',
  }),
  TOKEN_FORMAT: variable(oneOf(['jwt', 'paseto']), {
    default: 'jwt',
    meaning: 'the format new tokens are issued in: `jwt` (RS256) or `paseto` (v4.public); every format whose keys are present is verified',
  }),
  REFRESH_REUSE_GRACE: variable(seconds(0, 60), {
    default: '0',
    meaning: "seconds during which a session's most recently spent refresh token may be presented again",
  }),
  QUEUE_POLL_INTERVAL_MS: variable(integer(500, 60_000, 'a whole number of milliseconds from 500 to 60000'), {
    default: '2000',
    meaning: 'how often an idle worker looks for messages due for a retry (new ones wake it at once)',
  }),
  APP_URL: variable(baseUrl('https://app.example.com'), {
    unset: '`http://localhost:${PORT}`',
    meaning: 'public base URL of the links in mail (a trailing `/` is dropped); production warns at start-up while it points at localhost',
  }),
  SMTP_URL: variable(matching(/^smtps?:\/\/[^\s/?#]+(\/?|\/?\?\S*)$/, 'a URL like smtp://user:pass@host:587 or smtps://host:465'), {
    unset: 'mail is written to the log, not sent',
    meaning: 'the SMTP server that sends mail',
  }),
  // A display name and an address, or a bare address; no line breaks (header injection).
  MAIL_FROM: variable(
    matching(
      /^([^\r\n<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
      'an address, optionally with a name: "Todo API <no-reply@example.com>"',
      320,
    ),
    { default: 'Todo API <no-reply@localhost>', meaning: 'sender of every mail' },
  ),
  EMAIL_VERIFY_TTL: variable(seconds(60, 2_592_000), { default: '86400', meaning: 'lifetime of an e-mail verification link' }),
  PASSWORD_RESET_TTL: variable(seconds(60, 86_400), { default: '1800', meaning: 'lifetime of a password reset link' }),
  QUEUE_RETRY_DELAY: variable(seconds(1, 60), {
    default: '2',
    meaning: "seconds before a failed delivery's first retry (1 to 2 times this; each later one twice as long, to a 5-minute cap)",
  }),
  SESSION_RETENTION: variable(integer(1, 3650, 'a whole number of days from 1 to 3650'), {
    default: '30',
    meaning: 'days an expired or revoked session is kept before the retention job deletes it',
  }),
  RETENTION_BATCH_SIZE: variable(integer(1, 100_000), {
    default: '1000',
    meaning: 'rows the retention job deletes per statement (each batch is a short transaction)',
  }),
  RETENTION_CRON: variable(matching(/^\S+( \S+){4}$/, 'a five-field cron expression, e.g. "7 * * * *"'), {
    default: '7 * * * *',
    meaning: 'when the retention job runs (UTC); one instance runs each occurrence',
  }),
  SMS_PROVIDER: variable(oneOf(['log', 'vonage']), {
    default: 'log',
    meaning: '`log` writes each text message to the log (number masked); `vonage` sends it',
  }),
  VONAGE_API_KEY: variable(matching(/^\S+$/, 'a value without spaces'), { requiredWhen: REQUIRED_FOR_VONAGE, meaning: 'Vonage API key' }),
  VONAGE_API_SECRET: variable(matching(/^\S+$/, 'a value without spaces'), {
    requiredWhen: REQUIRED_FOR_VONAGE,
    meaning: 'Vonage API secret',
  }),
  VONAGE_FROM: variable(
    matching(
      /^([A-Za-z0-9][A-Za-z0-9 ]{0,10}|\d{1,15})$/,
      'a sender id of 1 to 11 letters, digits or spaces, or a number of at most 15 digits',
    ),
    { requiredWhen: REQUIRED_FOR_VONAGE, meaning: 'the sender of text messages' },
  ),
  VONAGE_API_URL: variable(baseUrl('https://api.nexmo.com'), {
    default: 'https://api.nexmo.com',
    meaning: 'the Vonage Messages API base URL (the client appends `/v1/messages`)',
  }),
  LOG_LEVEL: variable(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
    default: 'info',
    meaning: 'the lowest level logged: one line per request (method, route, status, duration), secrets redacted',
  }),
  REDIS_URL: variable(matching(/^rediss?:\/\/\S+$/, 'a URL like redis://host:6379'), {
    unset: 'rate-limit counters in Postgres',
    meaning: 'rate-limit counters in Redis (in Postgres while it is down)',
  }),
  TRUST_PROXY: variable(parsableBy(parseTrustProxy, 'true, false, a hop count, or comma-separated IP addresses/CIDRs'), {
    unset: '`X-Forwarded-For` and `X-Forwarded-Proto` ignored',
    meaning: 'the proxies whose `X-Forwarded-*` headers are believed',
  }),
  CORS_ORIGINS: variable(parsableBy(parseCorsOrigins, 'comma-separated exact origins such as https://app.example.com'), {
    unset: 'no CORS headers',
    meaning: 'origins allowed from browsers, with credentials',
  }),
  METRICS_TOKEN: variable(matching(/^\S{16,}$/, 'at least 16 characters without spaces'), {
    unset: '`/metrics` is open',
    meaning: 'bearer token that `/metrics` requires',
  }),
  // API.md, Abuse limits; what each counts is the table in common/rate-limit/limits.ts.
  LOGIN_ACCOUNT_LIMIT: variable(integer(1, 1_000_000), {
    default: '10',
    meaning: 'failed logins per account (email), from any address, per `LOGIN_ACCOUNT_WINDOW`',
  }),
  LOGIN_ACCOUNT_WINDOW: variable(seconds(1, 86_400), { default: '900', meaning: 'the failed-login window' }),
  PASSWORD_CHECK_LIMIT: variable(integer(1, 1_000_000), {
    default: '5',
    meaning: 'wrong passwords per user per `PASSWORD_CHECK_WINDOW` on the routes that check one (password change, deletion)',
  }),
  PASSWORD_CHECK_WINDOW: variable(seconds(1, 86_400), { default: '900', meaning: 'the password-check window' }),
  BCRYPT_QUEUE_LIMIT: variable(integer(1, 100_000), { default: '64', meaning: 'bcrypt jobs waiting before a `503`' }),
  MAIL_COOLDOWN: variable(seconds(1, 86_400), { default: '60', meaning: 'seconds between mails of one purpose to one address' }),
  MAIL_DAILY_LIMIT: variable(integer(1, 10_000), { default: '10', meaning: 'mails per address per 24 h' }),
  SMS_DAILY_LIMIT: variable(integer(1, 10_000), { default: '20', meaning: 'texts per user and per number per 24 h' }),
  PHONE_CODE_COOLDOWN: variable(seconds(1, 86_400), { default: '60', meaning: 'seconds between phone verification codes to one number' }),
  SMS_COUNTRIES: variable(matching(/^\s*[A-Za-z]{2}\s*(,\s*[A-Za-z]{2}\s*)*$/, 'comma-separated ISO 3166 country codes, e.g. GB,FR,US'), {
    unset: 'every country',
    meaning: 'countries whose numbers may receive texts',
  }),
  TODO_RATE_LIMIT: variable(integer(1, 1_000_000), { default: '60', meaning: 'todo creations per user per minute' }),
  MFA_ENCRYPTION_KEY: variable(matching(MFA_KEY, '32 bytes in base64 (openssl rand -base64 32)'), {
    unset: '`KEYS_DIR/mfa-encryption.key`, generated outside production; production refuses to start without it',
    meaning: 'encrypts TOTP secrets at rest (AES-256-GCM)',
  }),
  MFA_ENCRYPTION_KEYS_RETIRED: variable(
    matching(
      new RegExp(`^${MFA_KEY.source.slice(1, -1)}(,${MFA_KEY.source.slice(1, -1)})*$`),
      'comma-separated keys of 32 bytes in base64',
    ),
    {
      unset: 'none',
      meaning: 'earlier `MFA_ENCRYPTION_KEY` values: secrets sealed under them still open (and are sealed again under the current key)',
    },
  ),
  WEBAUTHN_RP_ID: variable(
    matching(
      /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      'a lower-case host name without scheme or port, e.g. app.example.com',
    ),
    { default: 'localhost', meaning: "the passkeys' relying party: the pages' host or a parent domain of it" },
  ),
  WEBAUTHN_ORIGINS: variable(parsableBy(parseCorsOrigins, 'comma-separated exact origins such as https://app.example.com'), {
    unset: 'the origin of `APP_URL`',
    meaning: 'origins a passkey ceremony may come from',
  }),
  SHUTDOWN_DELAY: variable(seconds(0, 60), {
    unset: '`5` in production, else `0`',
    meaning: 'seconds between SIGTERM (readiness turns `503`) and closing, so proxies stop routing here first',
  }),
  // Read first by tracing/instrument.ts (node --import), before the app exists; declared here so a
  // malformed value stops start-up naming it. The SDK reads its own OTEL_* variables (sampler, protocol).
  OTEL_EXPORTER_OTLP_ENDPOINT: variable(
    matching(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'the http(s) URL of an OTLP/HTTP collector, e.g. http://localhost:4318'),
    {
      unset: 'no tracing: the OpenTelemetry SDK is never loaded',
      meaning: 'where traces are exported (OTLP/HTTP); sampled by `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`',
    },
  ),
  UV_THREADPOOL_SIZE: variable(integer(1, 1024), {
    default: '4',
    meaning: "libuv's threadpool, read by Node itself; bcrypt uses at most all but one of its threads",
  }),
};

type Variables = typeof VARIABLES;
const shape = Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])) as {
  [K in keyof Variables]: Variables[K]['schema'];
};

const schema = z
  .object(shape)
  .superRefine((env, ctx) => {
    for (const [name, declared] of Object.entries(VARIABLES) as [string, Declared<unknown>][]) {
      const when = declared.requiredWhen;
      if (when && (env as Record<string, unknown>)[when.variable] === when.value && (env as Record<string, unknown>)[name] === undefined) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is required when ${when.variable}=${when.value}` });
      }
    }
  })
  .superRefine((env, ctx) => {
    // API.md, Abuse limits: `true` believes any client's X-Forwarded-For, so every per-address limit is the client's to pick.
    if (env.NODE_ENV === 'production' && env.TRUST_PROXY !== undefined && parseTrustProxy(env.TRUST_PROXY) === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message: "=true believes any client in production; set it to your proxies' addresses/CIDRs or a hop count",
      });
    }
  })
  .transform((env) => {
    const APP_URL = env.APP_URL ?? `http://localhost:${env.PORT}`;
    // The pages at APP_URL are where passkeys are made and used.
    return { ...env, APP_URL, WEBAUTHN_ORIGINS: env.WEBAUTHN_ORIGINS ?? new URL(APP_URL).origin };
  });

/** The validated configuration: `config.get('PORT', { infer: true })` is a number. */
export type Environment = z.output<typeof schema>;

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * Validates the raw environment (unset and empty mean the default). The error is a single line that
 * names every offending variable, e.g. `Invalid configuration: PORT must be an integer from 1 to 65535`.
 */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const given: Record<string, string> = {};
  for (const [name, declared] of Object.entries(VARIABLES) as [string, Declared<unknown>][]) {
    const value = raw[name];
    // Environment variables are strings; a test may pass a number or a boolean.
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
    if (text !== '') given[name] = text;
    else if (declared.default !== undefined) given[name] = declared.default;
  }
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const problems = new Map<string, Set<string>>();
  for (const issue of result.error.issues) {
    const name = String(issue.path[0] ?? 'environment');
    problems.set(name, (problems.get(name) ?? new Set()).add(issue.message));
  }
  // A message may go on from the name (`TRUST_PROXY=true believes…`) rather than after a space.
  const lines = [...problems].map(([name, messages]) => `${name}${[...messages][0].startsWith('=') ? '' : ' '}${[...messages].join(', ')}`);
  throw new ConfigurationError(`Invalid configuration: ${lines.join('; ')}`);
}

/** Typed configuration access: `config.get('PORT', { infer: true })` is a number. */
export type AppConfig = ConfigService<Environment, true>;

/** The validated environment: the process's variables, with a `.env` file's beneath them when one exists. */
export function loadEnvironment(): Environment {
  // process.loadEnvFile never overrides a variable that is already set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  return validateEnvironment(process.env);
}

/** One row of a configuration table, as the tables show it (scripts/config-docs.ts). */
export interface VariableDoc {
  name: string;
  default: string;
  accepts: string;
  meaning: string;
}

export function variableDocs(): VariableDoc[] {
  return (Object.entries(VARIABLES) as [string, Declared<unknown>][]).map(([name, v]) => ({
    name,
    default:
      v.default !== undefined
        ? `\`${v.default}\``
        : v.requiredWhen
          ? `required when \`${v.requiredWhen.variable}=${v.requiredWhen.value}\``
          : `unset: ${v.unset ?? 'not used'}`,
    accepts: v.rule.accepts,
    meaning: v.meaning,
  }));
}
