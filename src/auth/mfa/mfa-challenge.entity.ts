import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

// The service reads and writes this table through mfa.sql.ts; the entity describes the schema
// migration AddTotpMfa creates, for the TypeORM CLI.

/** A login that passed the password and waits for a code: the mfaToken, as its SHA-256. */
@Entity({ name: 'mfa_challenges' })
@Index('mfa_challenges_user_id_idx', ['userId'])
@Index('mfa_challenges_expires_at_idx', ['expiresAt'])
export class MfaChallenge {
  @PrimaryColumn({ name: 'token_hash', type: 'char', length: 64, primaryKeyConstraintName: 'mfa_challenges_pkey' })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'mfa_challenges_user_id_fkey' })
  user?: Relation<User>;

  /** The user's tokenHash when the password step passed: a password change or reset kills the challenge. */
  @Column({ name: 'bound_to', type: 'varchar', length: 128 })
  boundTo: string;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
