import { Column, CreateDateColumn, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

// The service reads and writes this table through mfa.sql.ts; the entity describes the schema
// migration AddTotpMfa creates, for the TypeORM CLI.

/** One recovery code, stored as SHA-256 of the user id and the code; used once. */
@Entity({ name: 'mfa_recovery_codes' })
export class MfaRecoveryCode {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'mfa_recovery_codes_pkey' })
  userId: string;

  @PrimaryColumn({ name: 'code_hash', type: 'char', length: 64, primaryKeyConstraintName: 'mfa_recovery_codes_pkey' })
  codeHash: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'mfa_recovery_codes_user_id_fkey' })
  user?: Relation<User>;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
