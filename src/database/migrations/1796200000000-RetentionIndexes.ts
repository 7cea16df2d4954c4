import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 26: the retention job (src/retention) finds what it deletes through these indexes, a batch
 * at a time, rather than scanning sessions or link_tokens. LEAST ignores NULL: a session ended when
 * it expired or was revoked, whichever came first; a link token when it expired or was spent.
 */
export class RetentionIndexes1796200000000 implements MigrationInterface {
  name = 'RetentionIndexes1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX sessions_ended_at_idx ON sessions (LEAST(expires_at, revoked_at))`);
    await queryRunner.query(`CREATE INDEX link_tokens_ended_at_idx ON link_tokens (LEAST(expires_at, used_at))`);
    // A session deleted after it ended was already refused by every instance's cache (revocation
    // notified them; an expired entry is read again), so only a live one's deletion is announced.
    // Without this, purging ten million old sessions would send ten million notifications.
    await queryRunner.query(`DROP TRIGGER sessions_ended_on_delete ON sessions`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_ended_on_delete AFTER DELETE ON sessions FOR EACH ROW
      WHEN (OLD.revoked_at IS NULL AND OLD.expires_at > now())
      EXECUTE FUNCTION notify_session_ended()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER sessions_ended_on_delete ON sessions`);
    await queryRunner.query(`
      CREATE TRIGGER sessions_ended_on_delete AFTER DELETE ON sessions FOR EACH ROW
      EXECUTE FUNCTION notify_session_ended()`);
    await queryRunner.query(`DROP INDEX link_tokens_ended_at_idx`);
    await queryRunner.query(`DROP INDEX sessions_ended_at_idx`);
  }
}
