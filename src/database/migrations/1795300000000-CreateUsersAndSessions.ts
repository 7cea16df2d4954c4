import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsersAndSessions1795300000000 implements MigrationInterface {
  name = 'CreateUsersAndSessions1795300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE users (
        id            uuid         NOT NULL DEFAULT gen_random_uuid(),
        email         varchar(254) NOT NULL,
        name          varchar(100),
        password_hash varchar(100) NOT NULL,
        token_hash    varchar(128) NOT NULL,
        created_at    timestamptz  NOT NULL DEFAULT now(),
        updated_at    timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT users_pkey PRIMARY KEY (id),
        CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);

    await queryRunner.query(`
      CREATE TABLE sessions (
        id           uuid         NOT NULL,
        user_id      uuid         NOT NULL,
        refresh_jti  uuid         NOT NULL,
        created_at   timestamptz  NOT NULL DEFAULT now(),
        last_used_at timestamptz  NOT NULL DEFAULT now(),
        expires_at   timestamptz  NOT NULL,
        revoked_at   timestamptz,
        user_agent   varchar(512),
        ip           varchar(64),
        CONSTRAINT sessions_pkey PRIMARY KEY (id),
        CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);

    // Every path that ends a session (revocation, deletion, a cascade from users) tells
    // every instance at once, so their in-memory session caches never answer stale.
    await queryRunner.query(`
      CREATE FUNCTION notify_session_ended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('session_ended', OLD.id::text);
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_ended_on_update AFTER UPDATE ON sessions FOR EACH ROW
      WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at
            OR NEW.expires_at < OLD.expires_at
            OR NEW.user_id <> OLD.user_id)
      EXECUTE FUNCTION notify_session_ended()`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_ended_on_delete AFTER DELETE ON sessions FOR EACH ROW
      EXECUTE FUNCTION notify_session_ended()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE sessions`);
    await queryRunner.query(`DROP FUNCTION notify_session_ended()`);
    await queryRunner.query(`DROP TABLE users`);
  }
}
