import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateTodos1795300100000 implements MigrationInterface {
  name = 'CreateTodos1795300100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE todos (
        id          uuid          NOT NULL DEFAULT gen_random_uuid(),
        user_id     uuid          NOT NULL,
        title       varchar(200)  NOT NULL,
        description varchar(2000),
        completed   boolean       NOT NULL DEFAULT false,
        due_at      timestamptz,
        created_at  timestamptz   NOT NULL DEFAULT now(),
        updated_at  timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT todos_pkey PRIMARY KEY (id),
        CONSTRAINT todos_title_not_empty CHECK (char_length(title) >= 1),
        CONSTRAINT todos_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    // Serves the list query (one user's todos, newest first, id as the tie-break) and its count.
    await queryRunner.query(`CREATE INDEX todos_user_id_created_at_idx ON todos (user_id, created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE todos`);
  }
}
