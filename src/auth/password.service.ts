import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { Limits } from '../common/rate-limit/limits.service.js';
import type { Environment } from '../config/environment.js';

/**
 * bcrypt runs on libuv's threadpool (async API), never on the event loop. At most one bcrypt per
 * core runs at once: more cannot go faster (it is pure CPU), and the threadpool keeps free threads
 * for token signing, so a login flood neither starves refreshes nor the event loop.
 */
function bcryptConcurrency(threadpoolSize: number): number {
  return Math.max(1, Math.min(availableParallelism(), threadpoolSize - 1));
}

/**
 * API.md, Abuse limits: password hashing cannot be monopolised. Work waits in a queue of at most
 * BCRYPT_QUEUE_LIMIT jobs (past it, 503 at once: waiting longer helps nobody), and one account or
 * user has at most one password check in flight (a second is 429), so one client's flood adds at
 * most one bcrypt duration to anyone else's login instead of its whole backlog.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private readonly rounds: number;
  private readonly queueLimit: number;
  private readonly bcryptSlots: ReturnType<typeof pLimit>;
  /** Whose password is being checked now (`user:<id>`, or `email:<address>` for an unknown account). */
  private readonly checking = new Set<string>();
  /** Compared against when the user does not exist, so both failures cost one bcrypt compare. */
  private dummyHash = '';

  constructor(
    config: ConfigService<Environment, true>,
    private readonly limits: Limits,
  ) {
    this.rounds = config.get('BCRYPT_ROUNDS', { infer: true });
    this.bcryptSlots = pLimit(bcryptConcurrency(config.get('UV_THREADPOOL_SIZE', { infer: true })));
    this.queueLimit = config.get('BCRYPT_QUEUE_LIMIT', { infer: true });
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), this.rounds);
  }

  /** `who` is logged (hashed) if the queue is full. */
  hash(password: string, who = 'signup'): Promise<string> {
    return this.slot(who, () => bcrypt.hash(password, this.rounds));
  }

  /**
   * False for a missing hash too, after the same work as a real comparison. `who` is the account
   * or user whose password this is (`user:<id>`, or `email:<address>` when no account has it): a
   * second check for it while one runs is refused with 429.
   */
  async verify(password: string, hash: string | undefined, who: string): Promise<boolean> {
    this.refuseWhileChecking(who);
    this.checking.add(who);
    try {
      const matches = await this.slot(who, () => bcrypt.compare(password, hash ?? this.dummyHash));
      return matches && hash !== undefined;
    } finally {
      this.checking.delete(who);
    }
  }

  /**
   * The 429 of a second check for `who` while one runs. Callers may ask before their own reads and
   * counters too, so a flood's refused requests cost no database work; verify asks again regardless.
   */
  refuseWhileChecking(who: string): void {
    if (this.checking.has(who)) throw this.limits.refuse('password-check-in-flight', who);
  }

  private slot<T>(who: string, work: () => Promise<T>): Promise<T> {
    if (this.bcryptSlots.pendingCount >= this.queueLimit) return Promise.reject(this.limits.refuse('bcrypt-queue', who));
    return this.bcryptSlots(work);
  }
}

/** A fresh per-user secret for the refresh tokens' custom key: 32 bytes from the CSPRNG. */
export function newTokenHash(): string {
  return randomBytes(32).toString('hex');
}
