/**
 * The server under test: the production entry point (dist/main.js) as a child process, and what
 * it used (peak memory, reads of the sessions table).
 */
import pg from 'pg';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { freePort } from '../../test/support/database.js';
import { startProdNodeFlags } from '../start-prod.js';
import { BCRYPT_ROUNDS, log, ROOT, SERVER_NODE_ARGS, sleep, TOKEN_FORMAT } from './config.js';
import { launch, type LaunchOptions } from './pinning.js';

/** A key for this run only: the bench enrols nobody in MFA, but production needs one to start. */
const BENCH_MFA_KEY = randomBytes(32).toString('base64');

export interface Server {
  child: ChildProcess;
  baseUrl: string;
  logFile: string;
}

/** `npm run build`: what the benches measure is dist/, built from the working tree. */
export function buildService(): void {
  log('npm run build');
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
}

/**
 * dist/main.js exactly as `npm run start:prod` runs it, so the measured code is the shipped code;
 * with `cpu`, under `taskset -c <cpu>` (taskset execs node, so the pid is still the server's); with
 * `under`, run by that program (bench:instructions: valgrind, which keeps the pid too).
 */
export async function startServer(
  databaseUrl: string,
  keysDir: string,
  logFile: string,
  options: LaunchOptions & { env?: Record<string, string> } = {},
): Promise<Server> {
  const port = await freePort();
  // A file, not a pipe: nothing in this process has to drain the server's log while it is busy
  // generating load.
  const logFd = openSync(logFile, 'a');
  // Exactly `npm run start:prod` (its node flags included, e.g. the heap size), without npm in
  // between so the pid is the server's. BENCH_NODE_ARGS adds flags, e.g. "--cpu-prof".
  const nodeArgs = [...startProdNodeFlags(), ...SERVER_NODE_ARGS];
  const [command, args] = launch(options, process.execPath, [...nodeArgs, 'dist/main.js']);
  const child = spawn(command, args, {
    cwd: ROOT,
    stdio: ['ignore', logFd, logFd],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      // The production configuration; its keys were generated into the fresh KEYS_DIR beforehand.
      NODE_ENV: 'production',
      KEYS_DIR: keysDir,
      TOKEN_FORMAT,
      // The production logging path stays on: every request is logged, to the file above.
      LOG_LEVEL: 'info',
      BCRYPT_ROUNDS: String(BCRYPT_ROUNDS),
      // One client address sends everything here; the limiter must never answer 429.
      AUTH_RATE_LIMIT: '1000000000',
      // The bench's own flood of logins and todos is not an abuse to refuse (issue 21's limits are
      // measured by bench:bcrypt-fairness); production refuses to start without an MFA key.
      TODO_RATE_LIMIT: '1000000',
      LOGIN_ACCOUNT_LIMIT: '1000000',
      BCRYPT_QUEUE_LIMIT: '100000',
      MFA_ENCRYPTION_KEY: BENCH_MFA_KEY,
      ...options.env,
    },
  });
  closeSync(logFd);
  const server = { child, baseUrl: `http://127.0.0.1:${port}`, logFile };

  const startupSeconds = options.startupSeconds ?? 60;
  const deadline = Date.now() + startupSeconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} during start-up; see ${logFile}`);
    try {
      const response = await fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  // Nothing would stop it otherwise: the caller only learns of the server through the return value.
  child.kill('SIGKILL');
  throw new Error(`GET /health did not answer 200 within ${startupSeconds} s; see ${logFile}`);
}

export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  // Graceful shutdown drains in-flight requests; a hung one must not hang the bench.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** One `kB` field of /proc/<pid>/status, in MB. */
function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** VmHWM: the peak resident set since the process started, which sampling RSS could miss. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}

/** VmRSS: the resident set now. */
export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/**
 * Scans of the sessions table so far, from Postgres' own statistics. Backends publish them at
 * most once a second, so this waits for the last ones first.
 */
export async function sessionTableReads(databaseUrl: string): Promise<number> {
  await sleep(1_500);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ reads: string }>(
      `SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) AS reads FROM pg_stat_user_tables WHERE relname = 'sessions'`,
    );
    return Number(rows[0]?.reads ?? 0);
  } finally {
    await client.end();
  }
}
