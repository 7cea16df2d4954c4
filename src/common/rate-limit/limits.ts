import type { Environment } from '../../config/environment.js';

export type NumericSetting = { [K in keyof Environment]-?: Environment[K] extends number ? K : never }[keyof Environment];

/** One limit: what a counter counts, how many points per window, and what to tell whoever reaches it. */
export interface LimitDefinition {
  /** What one counter is kept for: the key given to Limits (an account, a user, an address, a number). */
  readonly per: string;
  /** A number, or the variable that sets it (API.md, configuration table). */
  readonly points: number | NumericSetting;
  readonly windowSeconds: number | NumericSetting;
  /** The refusal's message, before "; retry after N s": names the limit and what to do next. */
  readonly refusal: string;
}

/**
 * Every limit of the service in one table: reading it answers "what can a client do how often".
 * Counters live in the shared rate-limit store (Postgres, or Redis with REDIS_URL), so every
 * instance counts against the same window. Applied by one call each (Limits.consume, .take,
 * .countFailures); the per-client limit on login, signup and refresh is the throttler's
 * (AUTH_RATE_LIMIT / AUTH_RATE_TTL), and BCRYPT_LIMITS below are per instance.
 */
export const LIMITS = {
  /** Failed logins for one email, from any address, known account or not (no enumeration). */
  'login-per-account': {
    per: 'account (the email logged in to)',
    points: 'LOGIN_ACCOUNT_LIMIT',
    windowSeconds: 'LOGIN_ACCOUNT_WINDOW',
    refusal:
      'Too many failed logins for this account (login-per-account); wait, or reset the password by mail (POST /auth/password/forgot)',
  },
  /** Wrong passwords (and, later, MFA codes) on routes a signed-in user reaches with a stolen access token. */
  'password-check-per-user': {
    per: 'user',
    points: 'PASSWORD_CHECK_LIMIT',
    windowSeconds: 'PASSWORD_CHECK_WINDOW',
    refusal: 'Too many wrong passwords or codes for this account (password-check-per-user); wait, or reset the password by mail',
  },
  /** One mail of each purpose (verification, reset) to one address per cooldown. */
  'mail-per-address-and-purpose': {
    per: 'recipient address and purpose',
    points: 1,
    windowSeconds: 'MAIL_COOLDOWN',
    refusal: 'A mail of this kind was just sent to this address (mail-per-address-and-purpose); check the inbox, or ask again later',
  },
  /** Every mail to one address, whatever the purpose and whoever asks. */
  'mail-per-address-daily': {
    per: 'recipient address',
    points: 'MAIL_DAILY_LIMIT',
    windowSeconds: 86_400,
    refusal: 'This address has had the most mail allowed in 24 hours (mail-per-address-daily); use a link already sent, or ask again later',
  },
  /** Texts (todo notifications and codes) for one user. */
  'sms-per-user-daily': {
    per: 'user',
    points: 'SMS_DAILY_LIMIT',
    windowSeconds: 86_400,
    refusal: 'This account has had the most text messages allowed in 24 hours (sms-per-user-daily); try again later',
  },
  /** Texts to one number, whichever account set it. */
  'sms-per-number-daily': {
    per: 'phone number',
    points: 'SMS_DAILY_LIMIT',
    windowSeconds: 86_400,
    refusal: 'This number has had the most text messages allowed in 24 hours (sms-per-number-daily); try again later',
  },
  /** Verification codes texted to one user. */
  'phone-code-per-user': {
    per: 'user',
    points: 1,
    windowSeconds: 'PHONE_CODE_COOLDOWN',
    refusal: 'A code was just texted to your number (phone-code-per-user); use it, or ask for a new one later',
  },
  'todos-per-user': {
    per: 'user',
    points: 'TODO_RATE_LIMIT',
    windowSeconds: 60,
    refusal: 'Too many todos created in a minute (todos-per-user); slow down and retry',
  },
} as const satisfies Record<string, LimitDefinition>;

export type LimitName = keyof typeof LIMITS;

/**
 * Password hashing, per instance (it is this instance's CPU): bcrypt work waits in a queue of at
 * most BCRYPT_QUEUE_LIMIT jobs, and one account or user has one password check in flight at most.
 */
export const BCRYPT_LIMITS = {
  'bcrypt-queue': {
    per: 'instance',
    status: 503,
    retryAfterSeconds: 1,
    refusal: 'The service is busy checking passwords (bcrypt-queue); retry in a second',
  },
  'password-check-in-flight': {
    per: 'account or user',
    status: 429,
    retryAfterSeconds: 1,
    refusal: 'A password check for this account is already in progress (password-check-in-flight); wait for its answer',
  },
} as const;

export type BcryptLimitName = keyof typeof BCRYPT_LIMITS;
