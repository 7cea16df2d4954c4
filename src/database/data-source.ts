import type { DataSourceOptions } from 'typeorm';
import { LinkToken } from '../auth/recovery/link-token.entity.js';
import { Session } from '../auth/sessions/session.entity.js';
import { Todo } from '../todos/entities/todo.entity.js';
import { User } from '../users/entities/user.entity.js';
import { migrations } from './migrations/index.js';

export const entities = [User, Session, Todo, LinkToken];

/** The one options object: the app (TypeOrmModule), the TypeORM CLI (ormconfig.ts) and the tests use it. */
export function dataSourceOptions(url: string) {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Sized for a 2-core host: more connections than cores only adds contention.
    poolSize: 10,
    extra: { connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 },
  } satisfies DataSourceOptions;
}
