import { Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { Environment } from '../../config/environment.js';
import { Db, type Tx } from '../../database/db.js';
import { SecurityEvents } from '../../events/security-events.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import type { Amr } from '../tokens/token-maker.js';
import { SessionStateCache } from './session-state.cache.js';
import { type ActiveSessionRow, SESSIONS } from './sessions.sql.js';

export interface Device {
  userAgent: string | null;
  ip: string | null;
}

export interface SessionView extends ActiveSessionRow {
  current: boolean;
}

/** Sessions live in the database; every write that ends one also clears it from this instance's cache. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly refreshTtl: number;
  private readonly reuseGrace: number;

  constructor(
    private readonly db: Db,
    private readonly cache: SessionStateCache,
    private readonly events: SecurityEvents,
    config: ConfigService<Environment, true>,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.refreshTtl = config.get('JWT_REFRESH_TTL', { infer: true });
    this.reuseGrace = config.get('REFRESH_REUSE_GRACE', { infer: true });
  }

  /**
   * Opens a session signed in by the methods `amr` (RFC 8176: `["pwd"]`, `["pwd","otp"]`,
   * `["webauthn"]`), inside `tx` when given; returns its id, the `jti` its first refresh token must
   * carry, and its amr, which its tokens carry and every refresh keeps.
   */
  async open(userId: string, device: Device, amr: Amr, tx?: Tx): Promise<{ id: string; refreshJti: string; amr: Amr }> {
    const id = randomUUID();
    const refreshJti = randomUUID();
    await this.db.run(SESSIONS.open, [id, userId, refreshJti, this.refreshTtl, device.userAgent, device.ip, amr], tx);
    return { id, refreshJti, amr };
  }

  /** How a live session of the user was signed in; undefined once it has ended. */
  async amrOf(sessionId: string, userId: string): Promise<Amr | undefined> {
    return (await this.db.one(SESSIONS.amr, [sessionId, userId]))?.amr;
  }

  /**
   * Spends refresh token `jti` of session `sessionId` and makes a new jti the live one (at most one
   * of any concurrent calls with the same token rotates). Within REFRESH_REUSE_GRACE seconds of
   * its spending, the token spent last gets the current live jti instead, so tabs refreshing at
   * once converge on one token. Returns the live jti, the user's current tokenHash and the
   * session's amr, or null when the token was neither live nor within the grace.
   */
  async rotate(sessionId: string, userId: string, jti: string): Promise<{ liveJti: string; tokenHash: string; amr: Amr } | null> {
    return (await this.db.one(SESSIONS.rotate, [sessionId, userId, jti, randomUUID(), this.refreshTtl, this.reuseGrace])) ?? null;
  }

  /**
   * A correctly signed refresh token that is not the session's live one was spent before:
   * someone holds a copy. End the session so the newer pair dies too (RFC 9700 §4.14.2).
   */
  async revokeOnReuse(sessionId: string, userId: string, jti: string, device: Device): Promise<void> {
    const rows = await this.db.transaction(async (tx) => {
      const revoked = await this.db.run(SESSIONS.revokeOnReuse, [sessionId, userId, jti], tx);
      if (revoked.length > 0) await this.events.record(tx, 'refresh_reuse', { userId, sessionId, ...device });
      return revoked;
    });
    if (rows.length > 0) {
      this.forget(rows);
      this.logger.warn(`refresh token reuse on session ${sessionId}: session revoked`);
      this.metrics?.refreshReuseDetected();
    }
  }

  /** Ends one live session of the user, recording `session_revoked`; false when there is none with that id. */
  async revoke(sessionId: string, userId: string, device: Device): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const rows = await this.db.run(SESSIONS.revoke, [sessionId, userId], tx);
      for (const row of rows) await this.events.record(tx, 'session_revoked', { userId, sessionId: row.id, ...device });
      this.forget(rows, tx);
      return rows.length > 0;
    });
  }

  async revokeOrThrow(sessionId: string, userId: string, device: Device): Promise<void> {
    if (!(await this.revoke(sessionId, userId, device))) throw new NotFoundException('Session not found');
  }

  /**
   * Ends every session of the user, inside `tx` when given. A password change or reset records
   * its own event rather than one per session.
   */
  async revokeAll(userId: string, tx?: Tx): Promise<void> {
    this.forget(await this.db.run(SESSIONS.revokeAll, [userId], tx), tx);
  }

  /** Ends every session of the user but `keptId`, inside `tx` when given. */
  async revokeAllBut(userId: string, keptId: string, tx?: Tx): Promise<void> {
    this.forget(await this.db.run(SESSIONS.revokeAllBut, [userId, keptId], tx), tx);
  }

  /** Logout everywhere: every session ends, each with its `session_revoked` event, in one transaction. */
  async revokeEverywhere(userId: string, device: Device): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rows = await this.db.run(SESSIONS.revokeAll, [userId], tx);
      for (const row of rows) await this.events.record(tx, 'session_revoked', { userId, sessionId: row.id, ...device });
      this.forget(rows, tx);
    });
  }

  async listActive(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const rows = await this.db.run(SESSIONS.listActive, [userId]);
    return rows.map((row) => ({ ...row, current: row.id === currentSessionId }));
  }

  /**
   * This instance stops answering from memory for sessions just ended, without waiting for their
   * notification. Inside a transaction only once it commits: forgotten earlier, a concurrent check
   * could read the still-live row and cache it again.
   */
  private forget(ended: { id: string }[], tx?: Tx): void {
    if (ended.length === 0) return;
    const ids = ended.map((row) => row.id);
    if (tx) tx.afterCommit(() => this.cache.invalidate(ids));
    else this.cache.invalidate(ids);
  }
}
