import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API.md, Phone verification and Abuse limits: a number receives texts only once its owner proved
 * it with a texted code. `phone_verified_at` is that proof; `sms_suppressed_until` is until when
 * the daily SMS cap holds texts back. Numbers set before this release were never proved, so their
 * text messages are turned off until their owners verify them (no text reaches an unproved number).
 * `phone_codes` holds the one live code per user, as a hash, bound to the number it was sent to.
 */
export class PhoneVerification1796100000000 implements MigrationInterface {
  name = 'PhoneVerification1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN phone_verified_at timestamptz,
        ADD COLUMN sms_suppressed_until timestamptz`);
    await queryRunner.query(`UPDATE users SET sms_notifications = false WHERE sms_notifications`);
    await queryRunner.query(`
      ALTER TABLE users
        ADD CONSTRAINT users_phone_verified_needs_phone CHECK (phone_verified_at IS NULL OR phone_number IS NOT NULL),
        ADD CONSTRAINT users_sms_needs_verified_phone CHECK (NOT sms_notifications OR phone_verified_at IS NOT NULL)`);
    await queryRunner.query(`
      CREATE TABLE phone_codes (
        user_id uuid NOT NULL,
        phone_number varchar(16) NOT NULL,
        code_hash char(64) NOT NULL,
        expires_at timestamptz NOT NULL,
        tries_left smallint NOT NULL,
        CONSTRAINT phone_codes_pkey PRIMARY KEY (user_id),
        CONSTRAINT phone_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE phone_codes`);
    await queryRunner.query(`
      ALTER TABLE users
        DROP CONSTRAINT users_sms_needs_verified_phone,
        DROP CONSTRAINT users_phone_verified_needs_phone,
        DROP COLUMN sms_suppressed_until,
        DROP COLUMN phone_verified_at`);
  }
}
