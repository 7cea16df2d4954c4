import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * REFRESH_REUSE_GRACE: a session remembers the refresh jti it spent last and when, so that token
 * may be presented again for a few seconds (several tabs refreshing at once) without counting as
 * reuse. `refresh_jti` stays the one live token.
 */
export class SessionPreviousRefreshJti1795300500000 implements MigrationInterface {
  name = 'SessionPreviousRefreshJti1795300500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions ADD previous_jti uuid, ADD previous_spent_at timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN previous_spent_at, DROP COLUMN previous_jti`);
  }
}
