import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { LINK_TOKENS } from '../src/auth/recovery/link-tokens.sql.js';
import { SESSIONS } from '../src/auth/sessions/sessions.sql.js';
import type { Statement } from '../src/database/sql.js';
import { PATCHABLE_FIELDS, TODOS } from '../src/todos/todos.sql.js';
import { USERS } from '../src/users/users.sql.js';
import { createTestApp } from './support/app.js';

/** Tables whose size grows with the users: reading one whole is a cost that grows with them. */
const GROWING = /Seq Scan on (users|sessions|todos|link_tokens)\b/;

/** Every named statement of the tables that grow, each field set of TODOS.update included. */
function namedStatements(): Statement[] {
  const found: Statement[] = [];
  for (const group of [USERS, SESSIONS, TODOS, LINK_TOKENS] as Record<string, unknown>[]) {
    for (const value of Object.values(group)) {
      if (value && typeof value === 'object' && 'name' in value && 'text' in value) found.push(value as Statement);
    }
  }
  for (const field of PATCHABLE_FIELDS) found.push(TODOS.update([field]));
  found.push(TODOS.update(PATCHABLE_FIELDS));
  return found;
}

/**
 * Issue 26: on a database shaped like a real one (many users, each with a few sessions and todos,
 * one with many), Postgres' generic plan of every named statement, the one it settles on for a
 * prepared statement whatever the values, reads users, sessions, todos and link_tokens through an
 * index only.
 */
describe('statement plans on a seeded database', () => {
  let app: NestFastifyApplication;
  let db: pg.Client;

  beforeAll(async () => {
    app = await createTestApp();
    db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    await db.query(`
      CREATE TEMP TABLE plan_users AS
        SELECT gen_random_uuid() AS id, g AS n FROM generate_series(1, 20000) g;
      INSERT INTO users (id, email, password_hash, token_hash)
        SELECT id, 'plan-' || n || '@example.com', 'x', md5(n::text) FROM plan_users;
      INSERT INTO sessions (id, user_id, refresh_jti, expires_at, revoked_at)
        SELECT gen_random_uuid(), u.id, gen_random_uuid(), now() + (g % 7 - 3) * interval '1 day',
          CASE WHEN g % 5 = 0 THEN now() END
        FROM generate_series(1, 60000) g JOIN plan_users u ON u.n = 1 + g % 20000;
      INSERT INTO todos (user_id, title, completed, created_at)
        SELECT u.id, 'todo ' || g, g % 2 = 0, now() - g * interval '1 second'
        FROM generate_series(1, 100000) g JOIN plan_users u ON u.n = CASE WHEN g <= 20000 THEN 1 ELSE 1 + g % 20000 END;
      INSERT INTO link_tokens (token_hash, user_id, purpose, bound_to, expires_at, used_at)
        SELECT md5(g::text) || md5((g + 1)::text), u.id, 'password-reset', md5(g::text) || md5(g::text), now() + (g % 3 - 1) * interval '1 hour',
          CASE WHEN g % 4 = 0 THEN now() END
        FROM generate_series(1, 20000) g JOIN plan_users u ON u.n = g;
      ANALYZE users; ANALYZE sessions; ANALYZE todos; ANALYZE link_tokens;
    `);
  }, 120_000);

  afterAll(async () => {
    // Other files share this database: the seeded users (and, by cascade, their rows) go.
    await db?.query(`DELETE FROM users WHERE email LIKE 'plan-%@example.com'`);
    await db?.end();
    await app?.close();
  });

  it.each(namedStatements().map((s) => [s.name, s] as const))('%s reads no growing table whole', async (_name, statement) => {
    const params = Math.max(0, ...[...statement.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    await db.query('BEGIN');
    try {
      await db.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await db.query(`PREPARE plan_check AS ${statement.text}`);
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN EXECUTE plan_check${params ? `(${Array(params).fill('NULL').join(', ')})` : ''}`,
      );
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      expect({ statement: statement.name, plan }).toEqual({ statement: statement.name, plan: expect.not.stringMatching(GROWING) });
    } finally {
      await db.query('ROLLBACK');
      await db.query('DEALLOCATE ALL');
    }
  });

  it('would catch a statement that reads a table whole', async () => {
    await db.query('BEGIN');
    try {
      await db.query('SET LOCAL plan_cache_mode = force_generic_plan');
      await db.query(`PREPARE plan_check AS SELECT id FROM todos WHERE title = $1`);
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE plan_check(NULL)`);
      expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(GROWING);
    } finally {
      await db.query('ROLLBACK');
      await db.query('DEALLOCATE ALL');
    }
  });
});
