import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import type { Environment } from '../config/environment.js';

/**
 * bcrypt runs on libuv's threadpool (async API), never on the event loop. At most one bcrypt per
 * core runs at once: more cannot go faster (it is pure CPU), and the threadpool keeps free threads
 * for token signing, so a login flood neither starves refreshes nor the event loop.
 */
function bcryptConcurrency(threadpoolSize: number): number {
  return Math.max(1, Math.min(availableParallelism(), threadpoolSize - 1));
}

@Injectable()
export class PasswordService implements OnModuleInit {
  private readonly rounds: number;
  private readonly bcryptSlots: ReturnType<typeof pLimit>;
  /** Compared against when the user does not exist, so both failures cost one bcrypt compare. */
  private dummyHash = '';

  constructor(config: ConfigService<Environment, true>) {
    this.rounds = config.get('BCRYPT_ROUNDS', { infer: true });
    this.bcryptSlots = pLimit(bcryptConcurrency(config.get('UV_THREADPOOL_SIZE', { infer: true })));
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), this.rounds);
  }

  hash(password: string): Promise<string> {
    return this.bcryptSlots(() => bcrypt.hash(password, this.rounds));
  }

  /** False for a missing hash too, after the same work as a real comparison. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const matches = await this.bcryptSlots(() => bcrypt.compare(password, hash ?? this.dummyHash));
    return matches && hash !== undefined;
  }
}

/** A fresh per-user secret for the refresh tokens' custom key: 32 bytes from the CSPRNG. */
export function newTokenHash(): string {
  return randomBytes(32).toString('hex');
}
