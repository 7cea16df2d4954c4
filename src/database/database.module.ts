import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Environment } from '../config/environment.js';
import { DatabaseOutage } from './database-outage.js';
import { dataSourceOptions } from './data-source.js';
import { runMigrationsUnderLock } from './migration-lock.js';
import { Sql } from './sql.js';

@Global()
@Module({
  providers: [Sql, DatabaseOutage],
  exports: [Sql, DatabaseOutage],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        ...dataSourceOptions(config.getOrThrow('DATABASE_URL', { infer: true })),
        // Run by dataSourceFactory below, under an advisory lock: instances may start at once.
        migrationsRun: false,
        // A short, bounded wait for a database that is still starting; then start-up fails.
        retryAttempts: 5,
        retryDelay: 1_000,
        toRetry: (error: unknown) => {
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
