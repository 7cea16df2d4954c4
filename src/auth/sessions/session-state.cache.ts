import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import type { Environment } from '../../config/environment.js';
import { Db } from '../../database/db.js';
import { SESSIONS } from './sessions.sql.js';

export const SESSION_ENDED_CHANNEL = 'session_ended';
const MAX_ENTRIES = 100_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;

interface SessionState {
  userId: string;
  expiresAt: number;
  revoked: boolean;
}

/**
 * Answers "is session `sid` still live?" from memory in the steady state.
 *
 * A trigger on `sessions` NOTIFYs every revocation and deletion (cascades included); this cache
 * LISTENs and forgets those sessions, so every instance sharing the database refuses a revoked
 * session's access tokens within milliseconds. While the LISTEN connection is down nothing is
 * cached and every check reads the database: a missed notification can never leave a revoked
 * session usable.
 */
@Injectable()
export class SessionStateCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionStateCache.name);
  /** The same LRU library as VerifiedTokens: at most MAX_ENTRIES, the least recently used dropped first. */
  private readonly entries = new LRUCache<string, SessionState>({ max: MAX_ENTRIES });
  /** Bumped on every invalidation: a database read that raced one is not cached. */
  private epoch = 0;
  private listener: pg.Client | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  get listening(): boolean {
    return this.listener !== undefined;
  }

  /** Backend pid of the LISTEN connection (for operators and tests). */
  get listenerPid(): number | undefined {
    return (this.listener as pg.Client & { processID?: number })?.processID;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const listener = this.listener;
    this.dropListener();
    await listener?.end().catch(() => undefined);
  }

  async isActive(sessionId: string, userId: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.listening ? this.entries.get(sessionId) : undefined;
    // A revoked session never comes back; a live one is trusted until the expiry it had when read.
    if (cached && (cached.revoked || cached.expiresAt > now)) return !cached.revoked && cached.userId === userId;

    const epoch = this.epoch;
    const row = await this.db.one(SESSIONS.state, [sessionId]);
    if (!row) return false;
    const state = { userId: row.userId, expiresAt: row.expiresAt.getTime(), revoked: row.revoked };
    if (this.listening && epoch === this.epoch) this.entries.set(sessionId, state);
    return !state.revoked && state.expiresAt > now && state.userId === userId;
  }

  /** Forget sessions this instance just ended, without waiting for their notification. */
  invalidate(sessionIds: Iterable<string>): void {
    this.epoch++;
    for (const id of sessionIds) this.entries.delete(id);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.config.getOrThrow('DATABASE_URL', { infer: true }),
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.payload) this.invalidate([message.payload]);
    });
    const lost = (error?: Error) => {
      if (this.listener !== client) return;
      this.logger.warn(`session notifications lost${error ? `: ${error.message}` : ''}; checking every request against the database`);
      this.dropListener();
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${SESSION_ENDED_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.logger.warn(`cannot LISTEN for session changes: ${(error as Error).message}; retrying`);
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    // Anything cached before this point may have missed a notification.
    this.entries.clear();
    this.epoch++;
    this.listener = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private dropListener(): void {
    this.listener = undefined;
    this.entries.clear();
    this.epoch++;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.listen(), this.reconnectDelay);
    this.reconnectTimer.unref();
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
  }
}
