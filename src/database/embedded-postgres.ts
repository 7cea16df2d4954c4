import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgresUnavailable } from './embedded-postgres-unavailable.js';

/** Local-only credentials of the development database; the server listens on 127.0.0.1 alone. */
const USER = 'postgres';
const PASSWORD = 'postgres';
export const EMBEDDED_DATABASE = 'todo_api';

export function embeddedDatabaseUrl(port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** Where `npm start` keeps the embedded database, relative to the project (git-ignored). */
export const EMBEDDED_DATA_DIR = '.data/postgres';

/**
 * Where a persistent embedded database is staged when the server's OS user cannot reach `dataDir`
 * (see startEmbeddedPostgres): one folder per data folder, so per clone. `npm run db:reset` removes it.
 */
export function stagingFolder(dataDir: string): string {
  return join('/var/tmp', `todo-api-postgres-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 12)}`);
}

export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  adminUrl: string;
  /** False when a server from an earlier run was found on the port and reused. */
  startedHere: boolean;
  /** Where the data lives (it moves out of a folder the server's OS user cannot enter; see below). */
  dataDir: string;
  /** Where the server's binaries were run from. */
  binDir: string;
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

interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** Postgres refuses to run as root: as root it runs as the `postgres` OS user, else as `nobody`. */
function serverUser(): OsUser | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  throw new EmbeddedPostgresUnavailable('running as root, and there is no `postgres` or `nobody` OS user to run it as');
}

/** Whether `user` may enter `path` (every folder on the way included): asked of the kernel, as that user. */
function canEnter(user: OsUser | undefined, path: string): boolean {
  if (!user) return true;
  return spawnSync('test', ['-x', path], { uid: user.uid, gid: user.gid }).status === 0;
}

async function platformBinaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new EmbeddedPostgresUnavailable(`${name} is not installed (no PostgreSQL binaries for this platform)`);
  }
}

/**
 * Copies the binaries into `into` (world-readable) unless they are there already. The copy is made
 * beside and renamed into place, so two processes staging at once never see half a copy.
 */
async function stageBinaries(initdb: string, into: string): Promise<{ initdb: string; postgres: string }> {
  const staged = { initdb: join(into, 'bin', 'initdb'), postgres: join(into, 'bin', 'postgres') };
  if (existsSync(staged.postgres)) return staged;
  const partial = await mkdtemp(`${into}.partial-`);
  try {
    await cp(dirname(dirname(initdb)), partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, into).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(staged.postgres)) throw error;
    });
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return staged;
}

/** Output of a child, kept for the error message should it fail. */
function collectOutput(child: ChildProcess, log: (line: string) => void): () => string {
  let output = '';
  const keep = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-4_000);
    for (const line of text.split('\n')) if (line.trim()) log(line.trim());
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => output.trim().split('\n').slice(-3).join(' | ');
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function initialise(initdb: string, dataDir: string, user: OsUser | undefined, log: (line: string) => void) {
  // initdb reads the superuser's password from a file: private to the server's user, removed at once.
  const workDir = await mkdtemp(join(tmpdir(), 'embedded-pg-init-'));
  await chmod(workDir, 0o711);
  const passwordFile = join(workDir, 'pwfile');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) await chown(passwordFile, user.uid, user.gid);
  try {
    const child = spawn(
      initdb,
      [`--pgdata=${dataDir}`, `--username=${USER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale'],
      { uid: user?.uid, gid: user?.gid, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const output = collectOutput(child, log);
    const spawned = new Promise<void>((_, reject) => child.once('error', reject));
    const code = await Promise.race([exited(child), spawned]);
    if (code !== 0) throw new EmbeddedPostgresUnavailable(`initdb failed: ${output()}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function enterableDir(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  await chmod(path, 0o755);
  return path;
}

/**
 * A real PostgreSQL from the platform package that `embedded-postgres` publishes
 * (`@embedded-postgres/<platform>-<arch>`), for development and for machines without a database.
 * With `dataDir` the data persists there; without, it lives in a temporary folder that stop()
 * removes. Reuses a server already running on the port.
 *
 * As root, Postgres runs as another OS user, who may not be able to enter the project's folder
 * (a clone under /root, or in `mktemp -d`, is mode 0700). Then the binaries and the data are
 * staged where that user can reach them (for a persistent database, /var/tmp/todo-api-postgres-*),
 * and the result says where.
 */
export async function startEmbeddedPostgres(options: {
  port: number;
  dataDir?: string;
  log?: (line: string) => void;
}): Promise<EmbeddedPostgres> {
  const adminUrl = embeddedDatabaseUrl(options.port, 'postgres');
  const requestedDataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  if (await postgresAnswers(adminUrl)) {
    return { adminUrl, startedHere: false, dataDir: requestedDataDir ?? "(the running server's)", binDir: '', stop: async () => undefined };
  }

  const log = options.log ?? (() => undefined);
  const user = serverUser();
  let binaries = await platformBinaries();
  const scratch = requestedDataDir ? undefined : await mkdtemp(join(tmpdir(), 'embedded-pg-'));
  let dataDir = requestedDataDir ?? join(scratch!, 'data');
  const stageRoot = scratch ?? stagingFolder(dataDir);
  let server: ChildProcess | undefined;

  try {
    if (scratch) await chmod(scratch, 0o755);
    if (!canEnter(user, binaries.postgres))
      binaries = await stageBinaries(binaries.initdb, join(await enterableDir(stageRoot), 'postgresql'));
    await mkdir(dirname(dataDir), { recursive: true });
    if (!canEnter(user, dirname(dataDir))) dataDir = join(await enterableDir(stageRoot), 'data');
    if (!canEnter(user, binaries.postgres) || !canEnter(user, dirname(dataDir))) {
      throw new EmbeddedPostgresUnavailable(
        `the \`${user?.name}\` OS user cannot reach ${binaries.postgres} or ${dataDir}; run as a normal user`,
      );
    }

    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (user) await chown(dataDir, user.uid, user.gid);
      await initialise(binaries.initdb, dataDir, user, log);
    }

    // Its own process group (detached): Ctrl-C in a terminal signals the whole foreground group, and
    // Postgres would shut down under the app, which then logs the database as lost. The app stops
    // it after closing (stop() below), and so does the 'exit' hook should the app end otherwise.
    server = spawn(
      binaries.postgres,
      ['-D', dataDir, '-p', String(options.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      { uid: user?.uid, gid: user?.gid, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const child = server;
    const output = collectOutput(child, log);
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', () => reject(new EmbeddedPostgresUnavailable(`postgres exited at start: ${output()}`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    while (!(await Promise.race([postgresAnswers(adminUrl), failed]))) {
      if (Date.now() > deadline) throw new EmbeddedPostgresUnavailable(`no answer on port ${options.port} within 30 s: ${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    if (server) {
      server.kill('SIGKILL');
      await exited(server);
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
    if (error instanceof EmbeddedPostgresUnavailable) throw error;
    throw new EmbeddedPostgresUnavailable(error instanceof Error ? error.message : String(error));
  }

  const running = server;
  // Should the process exit without stop(), Postgres still gets its fast-shutdown signal.
  const onExit = () => running.kill('SIGINT');
  process.once('exit', onExit);
  return {
    adminUrl,
    startedHere: true,
    dataDir,
    binDir: dirname(binaries.postgres),
    stop: async () => {
      process.removeListener('exit', onExit);
      running.kill('SIGINT');
      const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
      await exited(running);
      clearTimeout(timer);
      if (scratch) await rm(scratch, { recursive: true, force: true });
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

/**
 * The embedded development database the app runs on when DATABASE_URL is unset, started here
 * (data in .data/postgres, or where start-up says it moved).
 */
export async function embeddedDatabase(env: { EMBEDDED_PG_PORT: number }): Promise<{ url: string; stop(): Promise<void> }> {
  const embedded = await startEmbeddedPostgres({ dataDir: EMBEDDED_DATA_DIR, port: env.EMBEDDED_PG_PORT });
  console.log(
    embedded.startedHere
      ? `DATABASE_URL is not set: started the embedded PostgreSQL on port ${env.EMBEDDED_PG_PORT} (data in ${embedded.dataDir}, binaries in ${embedded.binDir})`
      : `DATABASE_URL is not set: using the PostgreSQL already running on port ${env.EMBEDDED_PG_PORT}`,
  );
  try {
    await ensureDatabase(embedded.adminUrl, EMBEDDED_DATABASE);
  } catch (error) {
    await embedded.stop();
    throw error;
  }
  return { url: embeddedDatabaseUrl(env.EMBEDDED_PG_PORT), stop: () => embedded.stop() };
}
