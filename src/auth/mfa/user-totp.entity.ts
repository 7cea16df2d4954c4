import { Column, CreateDateColumn, Entity, JoinColumn, OneToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

// The service reads and writes this table through mfa.sql.ts; the entity describes the schema
// migration AddTotpMfa creates, for the TypeORM CLI.

/** A user's TOTP secret, pending until `enabledAt`. */
@Entity({ name: 'user_totp' })
export class UserTotp {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'user_totp_pkey' })
  userId: string;

  @OneToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'user_totp_user_id_fkey' })
  user?: Relation<User>;

  /** AES-256-GCM, `v1.<key id>.<iv>.<ciphertext>.<tag>` (SecretBox): never the base32 secret. */
  @Column({ type: 'text', select: false })
  secret: string;

  @Column({ name: 'enabled_at', type: 'timestamptz', nullable: true })
  enabledAt: Date | null;

  /** RFC 6238 time step of the last accepted code: only a later one is accepted. */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep: string | null;

  @Column({ name: 'code_failures', type: 'integer', default: 0 })
  codeFailures: number;

  @Column({ name: 'code_failures_since', type: 'timestamptz', nullable: true })
  codeFailuresSince: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
