import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `users.mfa_enabled`: whether the user's second factor is on, for the profile (GET /users/me),
 * which read it with an EXISTS over user_totp on every request (~4 µs of Postgres CPU of ~43 for
 * the whole statement, docs/PERFORMANCE.md). user_totp stays the truth: a trigger sets the flag in
 * the same transaction as each change there (enabling, a new setup, disabling, a cascade).
 */
export class UsersMfaEnabled1796600000000 implements MigrationInterface {
  name = 'UsersMfaEnabled1796600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD mfa_enabled boolean NOT NULL DEFAULT false`);
    await queryRunner.query(`UPDATE users SET mfa_enabled = true WHERE id IN (SELECT user_id FROM user_totp WHERE enabled_at IS NOT NULL)`);
    // Writes only when the flag changes. Under a cascade from users the row is already gone and
    // the UPDATE matches nothing.
    await queryRunner.query(`
      CREATE FUNCTION user_totp_sets_mfa_enabled() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' THEN
          UPDATE users SET mfa_enabled = false WHERE id = OLD.user_id AND mfa_enabled;
        ELSE
          UPDATE users SET mfa_enabled = (NEW.enabled_at IS NOT NULL)
           WHERE id = NEW.user_id AND mfa_enabled <> (NEW.enabled_at IS NOT NULL);
        END IF;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER user_totp_mfa_enabled AFTER INSERT OR DELETE OR UPDATE OF enabled_at ON user_totp
      FOR EACH ROW EXECUTE FUNCTION user_totp_sets_mfa_enabled()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER user_totp_mfa_enabled ON user_totp`);
    await queryRunner.query(`DROP FUNCTION user_totp_sets_mfa_enabled()`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN mfa_enabled`);
  }
}
