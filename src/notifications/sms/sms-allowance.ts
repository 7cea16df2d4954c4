import { Injectable } from '@nestjs/common';
import type { LimitName } from '../../common/rate-limit/limits.js';
import { Limits } from '../../common/rate-limit/limits.service.js';

export type SmsAllowanceOutcome = { allowed: true } | { allowed: false; limit: LimitName; retryAfterSeconds: number };

/**
 * API.md, Abuse limits: at most SMS_DAILY_LIMIT texts per user and per number in 24 hours, todo
 * notifications and verification codes alike. Whoever queues a text takes it from here first.
 */
@Injectable()
export class SmsAllowance {
  constructor(private readonly limits: Limits) {}

  /** Takes one text to `number` for `userId`; the number's count is taken only when the user's allows it. */
  async take(userId: string, number: string): Promise<SmsAllowanceOutcome> {
    for (const [limit, key] of [
      ['sms-per-user-daily', userId],
      ['sms-per-number-daily', number],
    ] as const) {
      const outcome = await this.limits.take(limit, key);
      if (!outcome.allowed) return { allowed: false, limit, retryAfterSeconds: outcome.retryAfterSeconds };
    }
    return { allowed: true };
  }
}
