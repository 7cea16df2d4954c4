import { BadRequestException, ConflictException, ForbiddenException, Injectable } from '@nestjs/common';
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { InvalidTokenException } from '../../auth/invalid-token.exception.js';
import { Limits } from '../../common/rate-limit/limits.service.js';
import { Db, type Tx } from '../../database/db.js';
import { SmsAllowance } from '../../notifications/sms/sms-allowance.js';
import { SmsChannel } from '../../notifications/sms/sms.channel.js';
import type { UserProfileDto } from '../dto/user-profile.dto.js';
import { USERS } from '../users.sql.js';
import type { EventContext } from '../../events/security-event.js';
import { SecurityEvents } from '../../events/security-events.js';
import { PHONE_CODES } from './phone-codes.sql.js';

/** API.md, Phone verification: a code lives 10 minutes and allows 5 tries. */
export const PHONE_CODE_TTL_SECONDS = 600;
export const PHONE_CODE_TRIES = 5;

export const VERIFY_EMAIL_FIRST = 'Verify your email address first (POST /auth/verify-email/request mails a link); then set a phone number';
export const WRONG_CODE = 'The code is wrong, expired or used up (5 tries per code); ask for a new one with POST /users/me/phone/code';

/**
 * Proving a phone number: a 6-digit code texted to it through the queue (counted against the
 * daily SMS caps), stored only as a hash bound to the user and the number, single-use.
 */
@Injectable()
export class PhoneVerification {
  constructor(
    private readonly db: Db,
    private readonly sms: SmsChannel,
    private readonly allowance: SmsAllowance,
    private readonly limits: Limits,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * PATCH /users/me set a new number: a code is texted to it. The cooldown starts (a resend has
   * to wait) but does not refuse the change itself; past the daily caps no code is sent and the
   * profile's smsSuppressedUntil says until when. Called after the change has committed: limits
   * are never taken inside a transaction (their counters may need a pooled connection).
   */
  async textCodeForNewNumber(userId: string, number: string): Promise<void> {
    await this.limits.take('phone-code-per-user', userId);
    const allowance = await this.allowance.take(userId, number);
    if (!allowance.allowed) {
      await this.db.run(USERS.suppressSms, [userId, allowance.retryAfterSeconds]);
      return;
    }
    await this.db.transaction((tx) => this.textCode(tx, userId, number));
  }

  /** POST /users/me/phone/code: a new code for the unverified number; the earlier code stops working. */
  async resendCode(userId: string): Promise<void> {
    const state = await this.db.one(USERS.phoneState, [userId]);
    if (!state) throw new InvalidTokenException();
    if (!state.emailVerified) throw new ForbiddenException(VERIFY_EMAIL_FIRST);
    if (!state.phoneNumber) throw new ConflictException('There is no phone number to verify; set one with PATCH /users/me');
    if (state.phoneVerified) throw new ConflictException('The phone number is already verified');
    await this.limits.consume('phone-code-per-user', userId);
    const allowance = await this.allowance.take(userId, state.phoneNumber);
    if (!allowance.allowed) throw this.limits.exception(allowance.limit, allowance.retryAfterSeconds);
    // A number changed since the read above keeps this code useless: it is bound to the old one.
    await this.db.transaction((tx) => this.textCode(tx, userId, state.phoneNumber!));
  }

  /** POST /users/me/phone/verify: the code proves the number it was texted to. */
  async verify(code: string, context: EventContext): Promise<UserProfileDto> {
    const { userId } = context;
    // Spending the try commits on its own: a wrong guess must cost a try even though it answers 400.
    const attempt = await this.db.one(PHONE_CODES.spendTry, [userId]);
    const presented = codeHash(userId, attempt?.phoneNumber ?? '', code);
    if (!attempt || !timingSafeEqual(Buffer.from(presented), Buffer.from(attempt.codeHash))) {
      throw new BadRequestException(WRONG_CODE);
    }
    return this.db.transaction(async (tx) => {
      const profile = await this.db.one(PHONE_CODES.prove, [userId, attempt.phoneNumber, attempt.codeHash], tx);
      // Spent by a concurrent request, or the number changed meanwhile.
      if (!profile) throw new BadRequestException(WRONG_CODE);
      await this.events.record(tx, 'phone_verified', context);
      return profile;
    });
  }

  private async textCode(tx: Tx, userId: string, number: string): Promise<void> {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.db.run(PHONE_CODES.issue, [userId, number, codeHash(userId, number, code), PHONE_CODE_TTL_SECONDS, PHONE_CODE_TRIES], tx);
    await this.sms.enqueue(tx, { to: number, text: phoneCodeText(code) });
  }
}

/** API.md: the code is stored only as a hash, bound to the user and the number it was texted to. */
function codeHash(userId: string, number: string, code: string): string {
  return createHash('sha256').update(`${userId}\n${number}\n${code}`, 'utf8').digest('hex');
}

/** The text carrying a code: GSM-7 only, well within one SMS. */
export function phoneCodeText(code: string): string {
  return `Your Todo API verification code is ${code}. It expires in 10 minutes. If you did not ask for it, ignore this message.`;
}
