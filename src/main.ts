import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { type Environment, loadEnvironment } from './config/environment.js';
import { EmbeddedPostgresUnavailable } from './database/embedded-postgres-unavailable.js';
import { Readiness } from './health/readiness.js';

/**
 * DATABASE_URL when set; otherwise the embedded development database. Its runner (initdb and
 * postgres child processes, staging of binaries) is loaded only then: the production path never imports it.
 */
async function databaseFor(env: Environment): Promise<{ url: string; stop(): Promise<void> }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, stop: async () => undefined };
  const { embeddedDatabase } = await import('./database/embedded-postgres.js');
  return embeddedDatabase(env);
}

async function bootstrap() {
  const env = loadEnvironment();
  const database = await databaseFor(env);
  env.DATABASE_URL = database.url;

  const app = await createApp(env).catch(async (error: unknown) => {
    await database.stop();
    throw error;
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const logger = new Logger('Shutdown');
    // Readiness turns 503 first; on SIGTERM (an orchestrator) the server keeps serving for
    // SHUTDOWN_DELAY seconds so proxies see it and stop routing here before it stops accepting.
    app.get(Readiness).beginShutdown();
    const delay = signal === 'SIGTERM' ? (env.SHUTDOWN_DELAY ?? (env.NODE_ENV === 'production' ? 5 : 0)) : 0;
    logger.log(`${signal} received: not ready; closing in ${delay}s, then finishing in-flight requests`);
    await new Promise((resolve) => setTimeout(resolve, delay * 1000));
    // Stops accepting, waits for in-flight requests, then runs the shutdown hooks (pool, listeners).
    // Fastify ends the connections idle when close() starts; one that finishes its request later
    // would hold the exit until its keep-alive expires, so idle connections are swept meanwhile.
    const server = app.getHttpServer();
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    await app.close();
    clearInterval(sweep);
    await database.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: env.PORT, host: '0.0.0.0' });
}

/** Connection failures node-postgres reports by the socket's error code. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

/** One line that says what went wrong at start-up and, where it can, what to do about it. */
function startupFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof EmbeddedPostgresUnavailable) return message;
  const code = (error as { code?: string } | undefined)?.code;
  if (code && UNREACHABLE.has(code)) return `cannot reach the database (after retrying): ${message}`;
  if (code === '28P01') return `the database refused the credentials in DATABASE_URL: ${message}`;
  if (code === '3D000') return `the database named in DATABASE_URL does not exist: ${message}`;
  return message;
}

bootstrap().catch((error: unknown) => {
  console.error(`Startup failed: ${startupFailure(error)}`);
  process.exit(1);
});
