import { Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import type { Environment } from '../../config/environment.js';
import { modifyReturning, Sql, type Statement } from '../../database/sql.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { SessionStateCache } from './session-state.cache.js';

export interface Device {
  userAgent: string | null;
  ip: string | null;
}

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

const ROTATE: Statement = {
  name: 'session_rotate',
  text: `UPDATE sessions s
            SET refresh_jti = $4, last_used_at = now(), expires_at = now() + make_interval(secs => $5)
           FROM users u
          WHERE s.id = $1 AND s.user_id = $2 AND s.refresh_jti = $3
            AND s.revoked_at IS NULL AND s.expires_at > now() AND u.id = s.user_id
      RETURNING u.token_hash`,
};

interface SessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
}

/** Sessions live in the database; every write that ends one also clears it from this instance's cache. */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);
  private readonly refreshTtl: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: SessionStateCache,
    private readonly sql: Sql,
    config: ConfigService<Environment, true>,
    @Optional() private readonly metrics?: MetricsService,
  ) {
    this.refreshTtl = config.get('JWT_REFRESH_TTL', { infer: true });
  }

  /** Opens a session; returns its id and the `jti` its first refresh token must carry. */
  async open(userId: string, device: Device, manager: EntityManager = this.dataSource.manager) {
    const id = randomUUID();
    const refreshJti = randomUUID();
    await manager.query(
      `INSERT INTO sessions (id, user_id, refresh_jti, expires_at, user_agent, ip)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)`,
      [id, userId, refreshJti, this.refreshTtl, device.userAgent, device.ip],
    );
    return { id, refreshJti };
  }

  /**
   * Spends refresh token `jti` of session `sessionId` and makes a new jti the live one, in one
   * conditional UPDATE: of any number of concurrent calls with the same token, at most one wins.
   * Returns the new jti and the user's current tokenHash, or null when nothing was spent.
   */
  async rotate(sessionId: string, userId: string, jti: string): Promise<{ nextJti: string; tokenHash: string } | null> {
    const nextJti = randomUUID();
    const row = await this.sql.row<{ token_hash: string }>(ROTATE, [sessionId, userId, jti, nextJti, this.refreshTtl]);
    return row ? { nextJti, tokenHash: row.token_hash } : null;
  }

  /**
   * A correctly signed refresh token that is not the session's live one was spent before:
   * someone holds a copy. End the session so the newer pair dies too (RFC 9700 §4.14.2).
   */
  async revokeOnReuse(sessionId: string, userId: string, jti: string): Promise<void> {
    const rows = await modifyReturning<{ id: string }>(
      this.dataSource,
      `UPDATE sessions SET revoked_at = now()
        WHERE id = $1 AND user_id = $2 AND refresh_jti <> $3 AND revoked_at IS NULL
        RETURNING id`,
      [sessionId, userId, jti],
    );
    if (rows.length > 0) {
      this.cache.invalidate([sessionId]);
      this.logger.warn(`refresh token reuse on session ${sessionId}: session revoked`);
      this.metrics?.refreshReuseDetected();
    }
  }

  /** Ends one live session of the user; false when there is none with that id. */
  async revoke(sessionId: string, userId: string): Promise<boolean> {
    const rows = await modifyReturning<{ id: string }>(
      this.dataSource,
      `UPDATE sessions SET revoked_at = now()
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()
        RETURNING id`,
      [sessionId, userId],
    );
    this.cache.invalidate(rows.map((r) => r.id));
    return rows.length > 0;
  }

  async revokeOrThrow(sessionId: string, userId: string): Promise<void> {
    if (!(await this.revoke(sessionId, userId))) throw new NotFoundException('Session not found');
  }

  /** Ends every session of the user; inside `manager`'s transaction when given. */
  async revokeAll(userId: string, manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    const rows = await modifyReturning<{ id: string }>(
      manager,
      'UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL RETURNING id',
      [userId],
    );
    const ids = rows.map((r) => r.id);
    this.cache.invalidate(ids);
    return ids;
  }

  /** This instance's cache must forget sessions that a committed transaction ended. */
  forget(sessionIds: string[]): void {
    this.cache.invalidate(sessionIds);
  }

  async listActive(userId: string, currentSessionId: string): Promise<SessionView[]> {
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT id, created_at, last_used_at, expires_at, user_agent, ip FROM sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
        ORDER BY last_used_at DESC, id`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      userAgent: r.user_agent,
      ip: r.ip,
      current: r.id === currentSessionId,
    }));
  }
}
