import type pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { MfaChallenge } from '../auth/mfa/mfa-challenge.entity.js';
import { MfaRecoveryCode } from '../auth/mfa/mfa-recovery-code.entity.js';
import { UserTotp } from '../auth/mfa/user-totp.entity.js';
import { LinkToken } from '../auth/recovery/link-token.entity.js';
import { Session } from '../auth/sessions/session.entity.js';
import { Todo } from '../todos/entities/todo.entity.js';
import { User } from '../users/entities/user.entity.js';
import { migrations } from './migrations/index.js';
import { createPool, sharingDriver } from './pool.js';

export const entities = [User, Session, Todo, LinkToken, UserTotp, MfaRecoveryCode, MfaChallenge];

/**
 * The one options object: the app (TypeOrmModule), the TypeORM CLI (ormconfig.ts) and the tests use it.
 * TypeORM works on `pool` (the app passes the one its statements use) and ends it on destroy.
 */
export function dataSourceOptions(url: string, pool: pg.Pool = createPool(url)) {
  return {
    type: 'postgres',
    // Still read for the database name (schema introspection); connections come from `pool`.
    url,
    driver: sharingDriver(pool),
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
  } satisfies DataSourceOptions;
}
