import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API.md, Security events: what happened to an account, kept 90 days. Pages are read newest
 * first by (at, id) within one user, which the first index serves; the purge deletes by `at`
 * alone, which the second serves.
 */
export class CreateSecurityEvents1796400000000 implements MigrationInterface {
  name = 'CreateSecurityEvents1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE security_events (
        id         uuid         NOT NULL DEFAULT gen_random_uuid(),
        user_id    uuid         NOT NULL,
        type       varchar(32)  NOT NULL,
        at         timestamptz  NOT NULL DEFAULT now(),
        session_id uuid,
        ip         varchar(64),
        user_agent varchar(512),
        CONSTRAINT security_events_pkey PRIMARY KEY (id),
        CONSTRAINT security_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX security_events_user_at_idx ON security_events (user_id, at DESC, id DESC)`);
    await queryRunner.query(`CREATE INDEX security_events_at_idx ON security_events (at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE security_events`);
  }
}
