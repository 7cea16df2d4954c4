import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkeys (WebAuthn credentials) and the challenges of their ceremonies. Challenges live here, not
 * in one instance's memory, so the options and the answer may reach different instances.
 */
export class CreatePasskeys1796500000000 implements MigrationInterface {
  name = 'CreatePasskeys1796500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // credential_id is the authenticator's id (base64url), unique across users: one credential
    // belongs to one account. counter is the last signature counter seen (W3C WebAuthn §6.1.1).
    await queryRunner.query(`
      CREATE TABLE passkeys (
        id            uuid         NOT NULL DEFAULT gen_random_uuid(),
        user_id       uuid         NOT NULL,
        credential_id varchar(1366) NOT NULL,
        public_key    bytea        NOT NULL,
        counter       bigint       NOT NULL DEFAULT 0,
        transports    text[]       NOT NULL DEFAULT '{}',
        name          varchar(64)  NOT NULL,
        created_at    timestamptz  NOT NULL DEFAULT now(),
        last_used_at  timestamptz,
        CONSTRAINT passkeys_pkey PRIMARY KEY (id),
        CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id),
        CONSTRAINT passkeys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX passkeys_user_id_idx ON passkeys (user_id)`);
    // purpose 'register': user_id is the signed-in user. purpose 'login': user_id is the account
    // the email named (NULL with any_user false when it named none: that challenge opens nothing),
    // or NULL with any_user true for a discoverable credential of anyone.
    await queryRunner.query(`
      CREATE TABLE webauthn_challenges (
        id         uuid        NOT NULL DEFAULT gen_random_uuid(),
        challenge  varchar(64) NOT NULL,
        purpose    varchar(10) NOT NULL,
        user_id    uuid,
        any_user   boolean     NOT NULL DEFAULT false,
        expires_at timestamptz NOT NULL,
        CONSTRAINT webauthn_challenges_pkey PRIMARY KEY (id),
        CONSTRAINT webauthn_challenges_challenge_key UNIQUE (challenge),
        CONSTRAINT webauthn_challenges_purpose CHECK (purpose IN ('register', 'login')),
        CONSTRAINT webauthn_challenges_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX webauthn_challenges_expires_at_idx ON webauthn_challenges (expires_at)`);
    await queryRunner.query(`CREATE INDEX webauthn_challenges_user_id_idx ON webauthn_challenges (user_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webauthn_challenges`);
    await queryRunner.query(`DROP TABLE passkeys`);
  }
}
