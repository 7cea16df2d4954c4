import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { User } from '../../users/entities/user.entity.js';

export type LinkPurpose = 'verify-email' | 'password-reset';

/** The token behind one mailed link: stored as a hash, spent once, dead after `expiresAt`. */
@Entity({ name: 'link_tokens' })
@Index('link_tokens_user_id_idx', ['userId'])
@Check('link_tokens_purpose', `purpose IN ('verify-email', 'password-reset')`)
export class LinkToken {
  /** SHA-256 (hex) of the token: the link's 32 random bytes need no slow hash. */
  @PrimaryColumn({ name: 'token_hash', type: 'char', length: 64, primaryKeyConstraintName: 'link_tokens_pkey' })
  tokenHash: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'link_tokens_user_id_fkey' })
  user?: Relation<User>;

  @Column({ type: 'varchar', length: 20 })
  purpose: LinkPurpose;

  /** SHA-256 (hex) of the address (verification) or the user's tokenHash (reset) at issue time. */
  @Column({ name: 'bound_to', type: 'char', length: 64 })
  boundTo: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
