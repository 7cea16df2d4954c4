import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A second factor (TOTP and recovery codes, API.md "Second factor"): how each session was
 * authenticated, each user's TOTP secret (encrypted), the recovery codes (hashed) and the
 * short-lived challenges between the password step of a login and its code step.
 */
export class AddTotpMfa1796300000000 implements MigrationInterface {
  name = 'AddTotpMfa1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // RFC 8176 method references; every session opened before this passed a password alone.
    await queryRunner.query(`ALTER TABLE sessions ADD amr text[] NOT NULL DEFAULT '{pwd}'`);
    // secret: AES-256-GCM ciphertext naming its key (never the base32 secret). enabled_at is null
    // between setup and the first correct code. last_used_step is the RFC 6238 time step of the
    // last accepted code: a conditional UPDATE on it lets exactly one use of a code win.
    // code_failures counts wrong codes since code_failures_since (the per-user limit).
    await queryRunner.query(`
      CREATE TABLE user_totp (
        user_id             uuid        NOT NULL,
        secret              text        NOT NULL,
        enabled_at          timestamptz,
        last_used_step      bigint,
        code_failures       integer     NOT NULL DEFAULT 0,
        code_failures_since timestamptz,
        created_at          timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT user_totp_pkey PRIMARY KEY (user_id),
        CONSTRAINT user_totp_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    // code_hash: SHA-256 (hex) of the user id and the normalised code; each code works once.
    await queryRunner.query(`
      CREATE TABLE mfa_recovery_codes (
        user_id    uuid        NOT NULL,
        code_hash  char(64)    NOT NULL,
        used_at    timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT mfa_recovery_codes_pkey PRIMARY KEY (user_id, code_hash),
        CONSTRAINT mfa_recovery_codes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    // One login attempt that passed the password and waits for a code. token_hash: SHA-256 (hex)
    // of the mfaToken. bound_to: the user's token_hash then, so a password change kills it.
    await queryRunner.query(`
      CREATE TABLE mfa_challenges (
        token_hash char(64)     NOT NULL,
        user_id    uuid         NOT NULL,
        bound_to   varchar(128) NOT NULL,
        attempts   integer      NOT NULL DEFAULT 0,
        created_at timestamptz  NOT NULL DEFAULT now(),
        expires_at timestamptz  NOT NULL,
        used_at    timestamptz,
        CONSTRAINT mfa_challenges_pkey PRIMARY KEY (token_hash),
        CONSTRAINT mfa_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id)`);
    await queryRunner.query(`CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mfa_challenges`);
    await queryRunner.query(`DROP TABLE mfa_recovery_codes`);
    await queryRunner.query(`DROP TABLE user_totp`);
    await queryRunner.query(`ALTER TABLE sessions DROP COLUMN amr`);
  }
}
