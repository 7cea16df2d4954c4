import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type pg from 'pg';
import { DataSource } from 'typeorm';
import type { Environment } from '../config/environment.js';
import { DatabaseOutage } from './database-outage.js';
import { dataSourceOptions } from './data-source.js';
import { Db } from './db.js';
import { runMigrationsUnderLock } from './migration-lock.js';
import { createPool, PG_POOL } from './pool.js';

/** Owns the pool; TypeORM's DataSource ends it on shutdown (it closes the pool it was given). */
@Module({
  providers: [
    {
      provide: PG_POOL,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => createPool(config.getOrThrow('DATABASE_URL', { infer: true })),
    },
  ],
  exports: [PG_POOL],
})
class PoolModule {}

@Global()
@Module({
  providers: [Db, DatabaseOutage],
  // The pool itself for libraries that run their own SQL on it (rate limits) and for its gauges.
  exports: [Db, DatabaseOutage, PoolModule],
  imports: [
    PoolModule,
    TypeOrmModule.forRootAsync({
      imports: [PoolModule],
      inject: [ConfigService, PG_POOL],
      useFactory: (config: ConfigService<Environment, true>, pool: pg.Pool) => ({
        ...dataSourceOptions(config.getOrThrow('DATABASE_URL', { infer: true }), pool),
        // Run by dataSourceFactory below, under an advisory lock: instances may start at once.
        migrationsRun: false,
        // A short, bounded wait for a database that is still starting; then start-up fails.
        retryAttempts: 5,
        retryDelay: 1_000,
        toRetry: (error: unknown) => {
          // Start-up that failed after connecting (a failing migration) has had TypeORM end the
          // pool: no retry could use it, and the error at hand is the one that says why.
          if (pool.ending) return false;
          new Logger('Database').warn(`database not reachable yet: ${error instanceof Error ? error.message : String(error)}`);
          return true;
        },
        verboseRetryLog: false,
      }),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        try {
          await runMigrationsUnderLock(dataSource);
        } catch (error) {
          await dataSource.destroy();
          throw error;
        }
        return dataSource;
      },
    }),
  ],
})
export class DatabaseModule {}
