import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Environment } from '../config/environment.js';
import { dataSourceOptions } from './data-source.js';
import { Sql } from './sql.js';

@Global()
@Module({
  providers: [Sql],
  exports: [Sql],
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        ...dataSourceOptions(config.getOrThrow('DATABASE_URL', { infer: true })),
        migrationsRun: true,
        // A short, bounded wait for a database that is still starting; then start-up fails.
        retryAttempts: 5,
        retryDelay: 1_000,
        toRetry: (error: unknown) => {
          new Logger('Database').warn(`database not reachable yet: ${error instanceof Error ? error.message : String(error)}`);
          return true;
        },
        verboseRetryLog: false,
      }),
    }),
  ],
})
export class DatabaseModule {}
