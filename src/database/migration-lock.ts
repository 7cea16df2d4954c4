import { Logger } from '@nestjs/common';
import type { DataSource, Migration } from 'typeorm';

/** Session-level advisory lock id for "applying migrations" ('todomigr' in ASCII), the same in every instance. */
const MIGRATION_LOCK = '8390876182755714930';

/**
 * Applies pending migrations while holding a Postgres advisory lock, so instances starting at once
 * take turns: the first applies them, the others wait, then find nothing pending, and all come up.
 * The lock is held by a connection of its own and ends with it, so a crashed holder frees it.
 */
export async function runMigrationsUnderLock(dataSource: DataSource, logger = new Logger('Migrations')): Promise<Migration[]> {
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    const [{ locked }] = (await lockHolder.query('SELECT pg_try_advisory_lock($1::bigint) AS locked', [MIGRATION_LOCK])) as {
      locked: boolean;
    }[];
    if (!locked) {
      logger.log('migration lock held by another instance: waiting');
      await lockHolder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    }
    logger.log('migration lock acquired');
    const applied = await dataSource.runMigrations();
    logger.log(
      applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations',
    );
    return applied;
  } finally {
    await lockHolder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]).catch(() => undefined);
    await lockHolder.release();
  }
}
