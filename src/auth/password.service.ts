import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import type { Environment } from '../config/environment.js';

/** bcrypt through its async API, which runs on libuv's threadpool and never blocks the event loop. */
@Injectable()
export class PasswordService implements OnModuleInit {
  private readonly rounds: number;
  /** Compared against when the user does not exist, so both failures cost one bcrypt compare. */
  private dummyHash = '';

  constructor(config: ConfigService<Environment, true>) {
    this.rounds = config.get('BCRYPT_ROUNDS', { infer: true });
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await bcrypt.hash(randomBytes(16).toString('hex'), this.rounds);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.rounds);
  }

  /** False for a missing hash too, after the same work as a real comparison. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, hash ?? this.dummyHash);
    return matches && hash !== undefined;
  }
}

/** A fresh per-user secret for the refresh tokens' custom key: 32 bytes from the CSPRNG. */
export function newTokenHash(): string {
  return randomBytes(32).toString('hex');
}
