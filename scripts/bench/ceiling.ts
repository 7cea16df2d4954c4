/**
 * The speed ceiling (issue 13): ../shared/perf-limit, a bare Fastify server doing the same token
 * checks and SQL for GET /users/me and GET /todos?limit=20. Its folder may be read-only and is
 * never installed: its server file is copied into the project (bench/.ceiling/, git-ignored) so it
 * resolves this project's `fastify` and `pg`, which are at the same majors.
 */
import pg from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, type ScratchDatabase } from '../../test/support/database.js';
import { CEILING_COPY_DIR, CEILING_DIR, log, ROOT } from './config.js';
import { launch, type LaunchOptions } from './pinning.js';
import type { Server } from './server.js';

export interface CeilingServer extends Server {
  /** The access token it printed once seeded (one user, 20 todos). */
  token: string;
}

const majorOf = (version: string) => /\d+/.exec(version)?.[0];

/**
 * The path of the copied server, or why there is no ceiling to compare with. A dependency at
 * another major than the ceiling asks for is reported, not fatal: the numbers say which was used.
 */
export async function prepareCeiling(): Promise<{ script: string } | { skip: string }> {
  const source = join(CEILING_DIR, 'src', 'main.mjs');
  if (!existsSync(source)) return { skip: `no ceiling at ${source}` };
  await mkdir(CEILING_COPY_DIR, { recursive: true });
  const script = join(CEILING_COPY_DIR, 'main.mjs');
  await copyFile(source, script);
  const manifest = JSON.parse(readFileSync(join(CEILING_DIR, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const wanted = manifest.dependencies ?? {};
  for (const [name, range] of Object.entries(wanted)) {
    const manifest = join(ROOT, 'node_modules', name, 'package.json');
    const installed = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : undefined;
    if (!installed) throw new Error(`the ceiling needs ${name} ${range}, which this project does not install`);
    if (majorOf(installed) !== majorOf(range)) log(`WARNING the ceiling asks for ${name} ${range}; this project has ${installed}`);
  }
  return { script };
}

/**
 * An EMPTY `bench_<random>` database beside `sibling` (the ceiling creates its own tables, and
 * createScratchDatabase migrates). Dropped by dropScratchDatabase like any scratch database; it
 * carries no embedded server, so dropping it never stops the one `sibling` may own.
 */
export async function createEmptyDatabase(sibling: ScratchDatabase): Promise<ScratchDatabase> {
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: sibling.adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(sibling.adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), adminUrl: sibling.adminUrl, name, source: sibling.source };
}

/** Starts the ceiling with SEED=1 on an empty database and waits for its TOKEN line. */
export async function startCeiling(script: string, databaseUrl: string, logFile: string, options: LaunchOptions = {}): Promise<CeilingServer> {
  const port = await freePort();
  const logFd = openSync(logFile, 'a');
  const [command, args] = launch(options, process.execPath, [script]);
  const child = spawn(command, args, {
    cwd: ROOT,
    // stdout carries the TOKEN line; it prints nothing else, so reading it costs nothing under load.
    stdio: ['ignore', 'pipe', logFd],
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), SEED: '1', NODE_ENV: 'production' },
  });
  closeSync(logFd);
  const baseUrl = `http://127.0.0.1:${port}`;

  const token = await new Promise<string>((resolve, reject) => {
    let output = '';
    const startupSeconds = options.startupSeconds ?? 60;
    const timer = setTimeout(() => fail(new Error(`the ceiling printed no TOKEN within ${startupSeconds} s; see ${logFile}`)), startupSeconds * 1000);
    const onExit = (code: number | null) => fail(new Error(`the ceiling exited with code ${code} during start-up; see ${logFile}`));
    function fail(error: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(error);
    }
    child.once('exit', onExit);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      const match = /^TOKEN (\S+)$/m.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve(match[1]);
    });
  });
  return { child, baseUrl, logFile, token };
}
