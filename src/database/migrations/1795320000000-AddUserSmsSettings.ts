import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API.md, Users: `phoneNumber` (E.164 or null) and `smsNotifications` (default false, true only
 * while a number is set). The checks make the database refuse what the API refuses, whatever path
 * a write takes.
 */
export class AddUserSmsSettings1795320000000 implements MigrationInterface {
  name = 'AddUserSmsSettings1795320000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE users
        ADD COLUMN phone_number varchar(16),
        ADD COLUMN sms_notifications boolean NOT NULL DEFAULT false,
        ADD CONSTRAINT users_phone_number_e164 CHECK (phone_number ~ '^\\+[1-9][0-9]{7,14}$'),
        ADD CONSTRAINT users_sms_needs_phone CHECK (NOT sms_notifications OR phone_number IS NOT NULL)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE users
        DROP CONSTRAINT users_sms_needs_phone,
        DROP CONSTRAINT users_phone_number_e164,
        DROP COLUMN sms_notifications,
        DROP COLUMN phone_number`);
  }
}
