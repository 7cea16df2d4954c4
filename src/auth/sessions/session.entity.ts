import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

/** One signed-in device. Its id is the `sid` claim of both tokens. */
@Entity({ name: 'sessions' })
@Index('sessions_user_id_idx', ['userId'])
export class Session {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'sessions_user_id_fkey' })
  user?: Relation<User>;

  /** `jti` of the one refresh token that may still be spent; rotation swaps it atomically. */
  @Column({ name: 'refresh_jti', type: 'uuid' })
  refreshJti: string;

  /** The refresh jti spent most recently: presentable again for REFRESH_REUSE_GRACE seconds. */
  @Column({ name: 'previous_jti', type: 'uuid', nullable: true })
  previousJti: string | null;

  @Column({ name: 'previous_spent_at', type: 'timestamptz', nullable: true })
  previousSpentAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', default: () => 'now()' })
  lastUsedAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** RFC 8176 method references of the sign-in: `{pwd}`, `{pwd,otp}`; refreshes keep them. */
  @Column({ type: 'text', array: true, default: () => "'{pwd}'" })
  amr: string[];
}
