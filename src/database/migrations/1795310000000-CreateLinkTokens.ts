import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Account recovery: when each address was verified, and the single-use tokens behind mailed links. */
export class CreateLinkTokens1795310000000 implements MigrationInterface {
  name = 'CreateLinkTokens1795310000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    // token_hash is the SHA-256 of the token (hex): the token itself is never stored.
    // bound_to is the SHA-256 of what the link was issued against (the address for a
    // verification, the user's token_hash for a reset): once that changes, the link is dead.
    await queryRunner.query(`
      CREATE TABLE link_tokens (
        token_hash char(64)    NOT NULL,
        user_id    uuid        NOT NULL,
        purpose    varchar(20) NOT NULL,
        bound_to   char(64)    NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at    timestamptz,
        CONSTRAINT link_tokens_pkey PRIMARY KEY (token_hash),
        CONSTRAINT link_tokens_purpose CHECK (purpose IN ('verify-email', 'password-reset')),
        CONSTRAINT link_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX link_tokens_user_id_idx ON link_tokens (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE link_tokens`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
