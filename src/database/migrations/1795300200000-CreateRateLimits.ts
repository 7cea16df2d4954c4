import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters every instance shares (common/rate-limit). UNLOGGED: counters are worth
 * neither WAL nor replication, and losing them in a crash only resets the windows. Columns and
 * their order are rate-limiter-flexible's RateLimiterPostgres table (it inserts VALUES ($1,$2,$3)).
 */
export class CreateRateLimits1795300200000 implements MigrationInterface {
  name = 'CreateRateLimits1795300200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE UNLOGGED TABLE rate_limits (
        key    varchar(255) PRIMARY KEY,
        points integer      NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await queryRunner.query(`CREATE INDEX rate_limits_expire_idx ON rate_limits (expire)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE rate_limits`);
  }
}
