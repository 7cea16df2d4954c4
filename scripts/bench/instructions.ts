/**
 * `npm run bench:instructions`: machine instructions per request of GET /users/me and
 * GET /todos?limit=20, for the service and for the ceiling, counted by valgrind's callgrind. Unlike
 * req/s or CPU time, a count does not depend on what else the machine is doing (±1.5 % from run to run
 * on the development VM, where CPU time per request moves ±20 %), so a change of a few percent shows.
 * Needs valgrind (Debian: `apt install valgrind`); takes a few minutes, as everything runs ~10–50×
 * slower under it.
 *
 * Both servers run at once under `valgrind --tool=callgrind --instr-atstart=no`: uninstrumented
 * through BENCH_INSTR_WARMUP requests per route (V8 compiles the hot paths as it would at full speed:
 * its tiering counts calls, not time), then `callgrind_control -i on` for exactly BENCH_INSTR_REQUESTS
 * requests, `-i off` and a dump; the dump's total ÷ the requests is the figure. Every thread of the
 * server counts (V8's compiler and GC included); Postgres does not. Same load as the comparison with the
 * ceiling: 50 connections, one user, 20 todos.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMissingKeys } from '../../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase } from '../../test/support/database.js';
import { createEmptyDatabase, prepareCeiling, startCeiling } from './ceiling.js';
import { checkSameWork, specsFor } from './compare.js';
import { CONNECTIONS, intFromEnv, log, TOKEN_FORMAT } from './config.js';
import { runOnce, type RouteSpec } from './load.js';
import { Resources } from './resources.js';
import { seed } from './seed.js';
import { buildService, startServer, stopServer } from './server.js';

function requestsFromEnv(name: string, fallback: number): number {
  const value = intFromEnv(name, fallback);
  if (value % CONNECTIONS !== 0) throw new Error(`${name} must be a multiple of ${CONNECTIONS} (one share per connection), got ${value}`);
  return value;
}
const WARMUP = requestsFromEnv('BENCH_INSTR_WARMUP', 20_000);
const REQUESTS = requestsFromEnv('BENCH_INSTR_REQUESTS', 1_000);
/** Start-up under valgrind: every function is translated before it first runs. */
const STARTUP_SECONDS = 600;

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`${command}: ${result.error.message}${(result.error as NodeJS.ErrnoException).code === 'ENOENT' ? ' (install valgrind)' : ''}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** The command line a server runs under; its dumps go to `<dir>/callgrind.out.<pid>.<n>`. */
const underCallgrind = (dir: string) => [
  'valgrind',
  '--tool=callgrind',
  '--instr-atstart=no',
  // V8 writes and rewrites machine code at run time.
  '--smc-check=all-non-file',
  `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
];

/** The total of the newest dump of `pid`. */
async function lastDumpTotal(dir: string, pid: number): Promise<number> {
  const prefix = `callgrind.out.${pid}.`;
  const dumps = (await readdir(dir)).filter((name) => name.startsWith(prefix)).sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
  if (dumps.length === 0) throw new Error(`no callgrind dump of pid ${pid} in ${dir}`);
  const total = /^totals:\s+(\d+)/m.exec(await readFile(join(dir, dumps.at(-1)!), 'utf8'));
  if (!total) throw new Error(`no totals line in ${dumps.at(-1)}`);
  return Number(total[1]);
}

/** Instructions per request of `spec`, after the warm-up; fails on any non-200 answer. */
async function count(name: string, server: { baseUrl: string; pid: number }, spec: RouteSpec, dir: string): Promise<number> {
  const warm = await runOnce(server.baseUrl, spec, { perConnection: WARMUP / CONNECTIONS });
  log(`${name} ${spec.name}: warm-up ${WARMUP} requests, ${warm.rps.toFixed(0)} req/s uninstrumented`);
  run('callgrind_control', ['--instr=on', String(server.pid)]);
  const measured = await runOnce(server.baseUrl, spec, { perConnection: REQUESTS / CONNECTIONS });
  run('callgrind_control', ['--instr=off', String(server.pid)]);
  run('callgrind_control', ['--dump', String(server.pid)]);
  const answered = measured.statusCodes['200'] ?? 0;
  if (answered !== REQUESTS || measured.errors > 0) {
    throw new Error(`${name} ${spec.name}: ${answered} of ${REQUESTS} answered 200 (statuses ${JSON.stringify(measured.statusCodes)}, errors ${measured.errors})`);
  }
  return (await lastDumpTotal(dir, server.pid)) / REQUESTS;
}

async function main(): Promise<number> {
  run('valgrind', ['--version']);
  const resources = new Resources();
  const workDir = await mkdtemp(join(tmpdir(), 'bench-instructions-'));
  let succeeded = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers, dropping the databases`);
      void resources.releaseAll().finally(() => process.exit(130));
    });
  }
  try {
    buildService();
    const keysDir = join(workDir, 'keys');
    await generateMissingKeys(keysDir, TOKEN_FORMAT);
    const prepared = await prepareCeiling();
    if ('skip' in prepared) throw new Error(`no ceiling to count against: ${prepared.skip}`);

    const serviceDb = await createScratchDatabase('bench');
    resources.hold(`database ${serviceDb.name}`, () => dropScratchDatabase(serviceDb));
    const ceilingDb = await createEmptyDatabase(serviceDb);
    resources.hold(`database ${ceilingDb.name}`, () => dropScratchDatabase(ceilingDb));

    log(`starting both servers under callgrind (start-up takes a minute or two); logs and dumps in ${workDir}`);
    const [service, ceiling] = await Promise.all([
      startServer(serviceDb.url, keysDir, join(workDir, 'service.log'), { under: underCallgrind(workDir), startupSeconds: STARTUP_SECONDS }),
      startCeiling(prepared.script, ceilingDb.url, join(workDir, 'ceiling.log'), { under: underCallgrind(workDir), startupSeconds: STARTUP_SECONDS }),
    ]);
    resources.hold('the service', () => stopServer(service.child));
    resources.hold('the ceiling', () => stopServer(ceiling.child));
    const [session] = await seed(service.baseUrl, 1, (n) => ({ title: `todo ${n + 1}` }));
    const servers = {
      service: { baseUrl: service.baseUrl, token: session.accessToken, pid: service.child.pid! },
      ceiling: { baseUrl: ceiling.baseUrl, token: ceiling.token, pid: ceiling.child.pid! },
    };
    await checkSameWork(servers);

    // One route after the other on each server, both servers at once: counts do not depend on timing.
    const counted = await Promise.all(
      (['service', 'ceiling'] as const).map(async (side) => {
        const specs = specsFor(servers[side].token);
        const perRoute: Record<string, number> = {};
        for (const spec of Object.values(specs)) perRoute[spec.name] = await count(side, servers[side], spec, workDir);
        return perRoute;
      }),
    );
    await resources.releaseAll();

    console.log(`\nInstructions per request (callgrind; ${REQUESTS} requests after ${WARMUP} per route; service TOKEN_FORMAT=${TOKEN_FORMAT}):\n`);
    console.log('| route | service | ceiling | ceiling ÷ service |');
    console.log('|---|---:|---:|---:|');
    for (const route of Object.keys(counted[0])) {
      const [mine, theirs] = [counted[0][route], counted[1][route]];
      console.log(`| \`${route}\` | ${(mine / 1000).toFixed(1)}k | ${(theirs / 1000).toFixed(1)}k | ${(theirs / mine).toFixed(3)} |`);
    }
    succeeded = true;
    return 0;
  } catch (error) {
    console.error(`bench:instructions failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`logs: ${workDir}`);
    return 1;
  } finally {
    await resources.releaseAll();
    if (succeeded) await rm(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
