/**
 * `npm run bench:instructions`: machine instructions per request of GET /users/me and
 * GET /todos?limit=20, for the service and for the ceiling, counted by valgrind's callgrind. Unlike
 * req/s or CPU time (which move ±20 % from run to run on the development VM), a count barely depends
 * on how fast the machine is, so a change of a few percent shows.
 * Needs valgrind (Debian: `apt install valgrind`); takes a few minutes, as everything runs ~10–50×
 * slower under it.
 *
 * Both servers run at once under `valgrind --tool=callgrind --instr-atstart=no`: uninstrumented
 * through BENCH_INSTR_WARMUP requests per route (V8 compiles the hot paths as it would at full speed:
 * its tiering counts calls, not time), then `callgrind_control -i on` for exactly BENCH_INSTR_REQUESTS
 * requests, `-i off` and a dump; the dump's total ÷ the requests is the figure, for all of the
 * server's threads and for its main thread alone. All threads is what the core pays; but V8's
 * optimising compiler, on its own threads, sometimes still runs inside the window (seen: 21k and 97k
 * instructions per request in two runs of the same routes), so compare builds on the main thread,
 * which moves far less. Postgres is never counted. Same load as the comparison with the ceiling:
 * 50 connections, one user, 20 todos. BENCH_INSTR_KEEP=1 keeps the dumps for callgrind_annotate.
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

/** The command line a server runs under; its dumps go to `<dir>/callgrind.out.<pid>.<n>-<thread>`. */
const underCallgrind = (dir: string) => [
  'valgrind',
  '--tool=callgrind',
  '--instr-atstart=no',
  // V8 writes and rewrites machine code at run time.
  '--smc-check=all-non-file',
  // A dump per thread: thread 1 is the event loop; the others are V8's compiler and GC helpers and
  // libuv's pool, whose share of a window moves with when V8 happens to optimise (below).
  '--separate-threads=yes',
  `--callgrind-out-file=${join(dir, 'callgrind.out.%p')}`,
];

interface Counted {
  /** Every thread of the server. */
  all: number;
  /** The main thread: the event loop, where a request's own work runs. */
  main: number;
}

/** The totals of the newest dump of `pid`, all threads and the main one. */
async function lastDump(dir: string, pid: number): Promise<Counted> {
  const pattern = new RegExp(`^callgrind\\.out\\.${pid}\\.(\\d+)-(\\d+)$`);
  const dumps = (await readdir(dir)).flatMap((name) => {
    const match = pattern.exec(name);
    return match ? [{ name, dump: Number(match[1]), thread: Number(match[2]) }] : [];
  });
  if (dumps.length === 0) throw new Error(`no callgrind dump of pid ${pid} in ${dir}`);
  const newest = Math.max(...dumps.map((d) => d.dump));
  const counted: Counted = { all: 0, main: 0 };
  for (const { name, dump, thread } of dumps) {
    if (dump !== newest) continue;
    const total = /^totals:\s+(\d+)/m.exec(await readFile(join(dir, name), 'utf8'));
    if (!total) throw new Error(`no totals line in ${name}`);
    counted.all += Number(total[1]);
    if (thread === 1) counted.main = Number(total[1]);
  }
  return counted;
}

/** Instructions per request of `spec`, after the warm-up; fails on any non-200 answer. */
async function count(name: string, server: { baseUrl: string; pid: number }, spec: RouteSpec, dir: string): Promise<Counted> {
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
  const { all, main } = await lastDump(dir, server.pid);
  return { all: all / REQUESTS, main: main / REQUESTS };
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

    // One route after the other on each server, both servers at once: main-thread counts hardly depend on
    // timing (all-thread counts do, with when V8 compiles; see the top of this file).
    const counted = await Promise.all(
      (['service', 'ceiling'] as const).map(async (side) => {
        const specs = specsFor(servers[side].token);
        const perRoute: Record<string, Counted> = {};
        for (const spec of Object.values(specs)) perRoute[spec.name] = await count(side, servers[side], spec, workDir);
        return perRoute;
      }),
    );
    await resources.releaseAll();

    const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
    console.log(`\nInstructions per request (callgrind; ${REQUESTS} requests after ${WARMUP} per route; service TOKEN_FORMAT=${TOKEN_FORMAT}):\n`);
    console.log('| route | service, all threads | ceiling, all threads | ceiling ÷ service | service, main thread | ceiling, main thread | ceiling ÷ service |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const route of Object.keys(counted[0])) {
      const [mine, theirs] = [counted[0][route], counted[1][route]];
      console.log(
        `| \`${route}\` | ${k(mine.all)} | ${k(theirs.all)} | ${(theirs.all / mine.all).toFixed(3)} | ${k(mine.main)} | ${k(theirs.main)} | ${(theirs.main / mine.main).toFixed(3)} |`,
      );
    }
    succeeded = true;
    return 0;
  } catch (error) {
    console.error(`bench:instructions failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`logs: ${workDir}`);
    return 1;
  } finally {
    await resources.releaseAll();
    if (succeeded && !process.env.BENCH_INSTR_KEEP) await rm(workDir, { recursive: true, force: true });
    else if (succeeded) console.log(`dumps kept in ${workDir} (callgrind_annotate <dump>)`);
  }
}

process.exitCode = await main();
