import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { E164_POSIX } from '../../notifications/sms/phone-number.js';

@Check('users_phone_number_e164', `phone_number ~ '${E164_POSIX}'`)
@Check('users_sms_needs_phone', 'NOT sms_notifications OR phone_number IS NOT NULL')
@Check('users_phone_verified_needs_phone', 'phone_verified_at IS NULL OR phone_number IS NOT NULL')
@Check('users_sms_needs_verified_phone', 'NOT sms_notifications OR phone_verified_at IS NOT NULL')
@Check('users_email_normalised', 'email = lower(btrim(email))')
@Entity({ name: 'users' })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Stored trimmed and lower-case; the unique index on it is what makes signup race-free. */
  @Index('users_email_key', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  name: string | null;

  @Column({ name: 'password_hash', type: 'varchar', length: 100, select: false })
  passwordHash: string;

  /** Random per-user secret keying the refresh tokens' `key` claim; redrawn on password change. */
  @Column({ name: 'token_hash', type: 'varchar', length: 128, select: false })
  tokenHash: string;

  /** Set when a verification link sent to `email` is used; null until then. */
  @Column({ name: 'email_verified_at', type: 'timestamptz', nullable: true })
  emailVerifiedAt: Date | null;

  /** E.164 (`+14155550100`) or null. */
  @Column({ name: 'phone_number', type: 'varchar', length: 16, nullable: true })
  phoneNumber: string | null;

  /** Set when the owner entered the code texted to phoneNumber; a new number clears it. */
  @Column({ name: 'phone_verified_at', type: 'timestamptz', nullable: true })
  phoneVerifiedAt: Date | null;

  /** A text message per new todo; true only while a verified phoneNumber is set. */
  @Column({ name: 'sms_notifications', type: 'boolean', default: false })
  smsNotifications: boolean;

  /** Until when the daily SMS cap holds this user's texts back (the profile shows it while in the future). */
  @Column({ name: 'sms_suppressed_until', type: 'timestamptz', nullable: true })
  smsSuppressedUntil: Date | null;

  /** Whether the second factor is on: kept by a trigger on user_totp, which stays the truth. */
  @Column({ name: 'mfa_enabled', type: 'boolean', default: false })
  mfaEnabled: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
