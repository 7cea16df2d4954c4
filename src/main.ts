import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { createApp } from './app.factory.js';
import { validateEnvironment } from './config/environment.js';
import { ensureDatabase, EMBEDDED_DATABASE, embeddedDatabaseUrl, startEmbeddedPostgres } from './database/embedded-postgres.js';

async function bootstrap() {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = validateEnvironment(process.env);

  let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  if (!env.DATABASE_URL) {
    console.log(`DATABASE_URL is not set: using the embedded PostgreSQL on port ${env.EMBEDDED_PG_PORT} (data in .data/)`);
    embedded = await startEmbeddedPostgres({ dataDir: '.data/postgres', port: env.EMBEDDED_PG_PORT, persistent: true });
    await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
    env.DATABASE_URL = embeddedDatabaseUrl(env.EMBEDDED_PG_PORT);
  }

  const app = await createApp(env).catch(async (error: unknown) => {
    await embedded?.stop();
    throw error;
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    new Logger('Shutdown').log(`${signal} received: finishing in-flight requests`);
    // Stops accepting, waits for in-flight requests, then runs the shutdown hooks (pool, listeners).
    await app.close();
    await embedded?.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: env.PORT, host: '0.0.0.0' });
}

const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', '28P01', '3D000']);

bootstrap().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string } | undefined)?.code;
  console.error(
    code && NETWORK_ERRORS.has(code) ? `Startup failed: cannot use the database (after retrying): ${message}` : `Startup failed: ${message}`,
  );
  process.exit(1);
});
