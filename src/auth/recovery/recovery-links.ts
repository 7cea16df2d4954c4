import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { LimitName } from '../../common/rate-limit/limits.js';
import { Limits } from '../../common/rate-limit/limits.service.js';
import type { Environment } from '../../config/environment.js';
import { Db, type Tx } from '../../database/db.js';
import { type ComposedMail, MailChannel } from '../../notifications/mail/mail.channel.js';
import type { LinkPurpose } from './link-token.entity.js';
import { hashLinkToken, newLinkToken } from './link-token.js';
import { LINK_TOKENS } from './link-tokens.sql.js';

/**
 * Where the links in mail point: pages of the front end at APP_URL, which take `token` from the
 * query and POST it to /auth/verify-email or /auth/password/reset. A GET never spends a link, so
 * mail scanners that open every link cannot use one up.
 */
export const LINK_PATHS = { 'verify-email': '/verify-email', 'password-reset': '/reset-password' } as const satisfies Record<
  LinkPurpose,
  string
>;

interface VerificationJob {
  kind: 'verify-email';
  userId: string;
  [input: string]: unknown;
}
interface ResetJob {
  kind: 'password-reset';
  email: string;
  [input: string]: unknown;
}

/**
 * The links mailed for account recovery. A job is queued with the change that causes it and
 * holds no secret; the token is drawn when a worker writes the mail, and only its SHA-256 is
 * stored. A retried delivery draws another token; one drawn for an attempt that failed was never
 * seen by anyone and simply expires.
 */
@Injectable()
export class RecoveryLinks {
  private readonly appUrl: string;
  private readonly ttl: Record<LinkPurpose, number>;

  constructor(
    private readonly db: Db,
    private readonly mail: MailChannel,
    private readonly limits: Limits,
    config: ConfigService<Environment, true>,
  ) {
    this.appUrl = config.get('APP_URL', { infer: true });
    if (config.get('NODE_ENV', { infer: true }) === 'production' && /^https?:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(this.appUrl)) {
      new Logger('Mail').warn(`links in mail point at ${this.appUrl}; set APP_URL to the public address`);
    }
    this.ttl = {
      'verify-email': config.get('EMAIL_VERIFY_TTL', { infer: true }),
      'password-reset': config.get('PASSWORD_RESET_TTL', { infer: true }),
    };
    mail.addComposer<VerificationJob>('verify-email', (job) => this.composeVerification(job.userId));
    mail.addComposer<ResetJob>('password-reset', (job) => this.composeReset(job.email));
  }

  /**
   * Takes one mail of `purpose` to `email` from the address's allowance (API.md, Abuse limits):
   * one per purpose per MAIL_COOLDOWN, MAIL_DAILY_LIMIT in 24 h, whoever asks and from wherever.
   * The daily count is taken only when the cooldown lets the mail through.
   */
  async mayMail(
    email: string,
    purpose: LinkPurpose,
  ): Promise<{ allowed: true } | { allowed: false; limit: LimitName; retryAfterSeconds: number }> {
    for (const [limit, key] of [
      ['mail-per-address-and-purpose', `${purpose}:${email}`],
      ['mail-per-address-daily', email],
    ] as const) {
      const outcome = await this.limits.take(limit, key);
      if (!outcome.allowed) return { allowed: false, limit, retryAfterSeconds: outcome.retryAfterSeconds };
    }
    return { allowed: true };
  }

  /** Queues a verification mail for the user, inside `tx`. */
  async queueVerification(tx: Tx, userId: string): Promise<void> {
    await this.mail.enqueue<VerificationJob>(tx, { kind: 'verify-email', userId });
  }

  /**
   * Queues a reset mail for whoever has `email`, inside `tx`: the same work whether or not an
   * account has it. The worker looks the address up and mails only a real account.
   */
  async queueReset(tx: Tx, email: string): Promise<void> {
    await this.mail.enqueue<ResetJob>(tx, { kind: 'password-reset', email });
  }

  /** Spends a live link of `purpose` inside `tx`; the user it was for, or null for any dead token. */
  async spend(tx: Tx, token: string, purpose: LinkPurpose): Promise<string | null> {
    const spent = await this.db.one(LINK_TOKENS.spend, [hashLinkToken(token), purpose], tx);
    return spent?.userId ?? null;
  }

  /** Whether the token is a live link of `purpose` (spending it is what counts: this only spares work). */
  async isLive(token: string, purpose: LinkPurpose): Promise<boolean> {
    return (await this.db.one(LINK_TOKENS.live, [hashLinkToken(token), purpose])) !== undefined;
  }

  private async composeVerification(userId: string): Promise<ComposedMail | null> {
    const { token, hash } = newLinkToken();
    const user = await this.db.one(LINK_TOKENS.issueVerification, [userId, hash, this.ttl['verify-email']]);
    // Deleted, or verified since the mail was queued: nothing to send.
    if (!user) return null;
    return { to: user.email, template: 'verify-email', data: this.linkData('verify-email', user.email, token) };
  }

  private async composeReset(email: string): Promise<ComposedMail | null> {
    const { token, hash } = newLinkToken();
    const user = await this.db.one(LINK_TOKENS.issueReset, [email, hash, this.ttl['password-reset']]);
    // No account has this address: the job ends without a mail.
    if (!user) return null;
    return { to: user.email, template: 'password-reset', data: this.linkData('password-reset', user.email, token) };
  }

  private linkData(purpose: LinkPurpose, email: string, token: string) {
    return { email, link: `${this.appUrl}${LINK_PATHS[purpose]}?token=${token}`, ttlSeconds: this.ttl[purpose] };
  }
}
