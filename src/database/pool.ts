import { Logger } from '@nestjs/common';
import pg from 'pg';
import { DATE_STYLE } from './sql.js';

/** Injection token of the app's one pg.Pool (DatabaseModule). */
export const PG_POOL = Symbol('PG_POOL');

/**
 * The connection pool the app's statements and TypeORM share. Sized for a 2-core host: more
 * connections than cores only adds contention.
 */
export function createPool(url: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // The text Db reads timestamps from (sql.ts), whatever the server's own default.
    options: `-c DateStyle=${DATE_STYLE.replace(' ', '')}`,
  });
  // An idle connection that drops (a server restart, a terminated backend) must not end the process.
  pool.on('error', (error) => new Logger('Database').warn(`idle connection lost: ${error.message}`));
  return pool;
}

/**
 * A value for TypeORM's `driver` option ("the driver object, defaults to require('pg')"): the pg
 * module, except that `new Pool()` answers `pool`. TypeORM then runs migrations and its own
 * queries on the very connections the statements use, and ends the pool when its DataSource is
 * destroyed.
 */
export function sharingDriver(pool: pg.Pool): typeof pg {
  return {
    ...pg,
    Pool: function SharedPool() {
      return pool;
    } as unknown as typeof pg.Pool,
  };
}
