/**
 * `npm run db:reset`: deletes the embedded development database of this clone, wherever it was
 * staged: `.data/postgres`, and `/var/tmp/todo-api-postgres-<hash>/` where a root user's start moved
 * it (src/database/embedded-postgres.ts). A server still running on that data is stopped first.
 * The next `npm start` makes a fresh, empty database. A DATABASE_URL database is never touched.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadEnvironment } from '../src/config/environment.js';
import { EMBEDDED_DATA_DIR, stagingFolder } from '../src/database/embedded-postgres.js';
import { ROOT } from './root.js';
import { alive } from './processes.js';

/** Stops the postmaster whose pid file is in `dataDir`, if it runs: fast shutdown, then SIGKILL after 10 s. */
async function stopServer(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  console.log(`stopping the embedded PostgreSQL running on ${dataDir} (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function main(): Promise<void> {
  const env = loadEnvironment();
  const dataDir = join(ROOT, EMBEDDED_DATA_DIR);
  const staged = stagingFolder(dataDir);
  const places = [dataDir, staged].filter((place) => existsSync(place));
  for (const place of [dataDir, join(staged, 'data')]) await stopServer(place);
  for (const place of places) {
    const size = spawnSync('du', ['-sh', place], { encoding: 'utf8' }).stdout.split('\t')[0] || '?';
    await rm(place, { recursive: true, force: true });
    console.log(`removed ${place} (${size})`);
  }
  if (places.length === 0) console.log(`no embedded database to remove (looked in ${dataDir} and ${staged})`);
  if (env.DATABASE_URL) console.log('DATABASE_URL is set: that database is not the embedded one and was not touched');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
