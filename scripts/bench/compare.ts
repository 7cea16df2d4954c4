/**
 * The service side by side with the ceiling (issue 13). Absolute req/s on the shared development
 * machine swing by 2× from minute to minute, so both servers run in the same minutes under the same
 * load and only their ratios are judged:
 * - the same data: the ceiling seeds one user with 20 todos on its own empty database; the service
 *   gets one user with 20 todos on its own fresh migrated one, and every connection uses that user;
 * - the same core: each server under `taskset -c <server CPU>`, the load generator (this process)
 *   on another (pinning.ts);
 * - the same load: 50 connections, a warm-up of each server on each route, then interleaved rounds:
 *   in every round each route runs on both servers back to back, the service first in odd rounds and
 *   the ceiling first in even ones, so a drift in the machine's speed hits both alike;
 * - the ratio of a route is the median over rounds of that round's service req/s ÷ ceiling req/s.
 * Beside it, each server's own CPU time per request (Linux /proc): it moves much less than req/s
 * when other processes take the core, so it tells a real gap from a noisy round. And the CPU time
 * per request of the Postgres backends serving each side (found by `application_name`, read from
 * /proc when Postgres runs on this machine): the database is the part that does not scale out, so
 * work moved into SQL is not free.
 *
 * The service as configured by default remembers verified access tokens (ACCESS_TOKEN_CACHE_SIZE),
 * so it checks the one token's signature once where the ceiling checks it on every request. A second
 * service process on the same database, with ACCESS_TOKEN_CACHE_SIZE=0, runs in the same rounds
 * ("cache off"): its ratio is the framework's cost alone, the same work as the ceiling's.
 */
import pg from 'pg';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase, dropScratchDatabase } from '../../test/support/database.js';
import { CEILING_DIR, CONNECTIONS, log, ROUND_SECONDS, ROUNDS, TOKEN_FORMAT, WARMUP_SECONDS } from './config.js';
import { createEmptyDatabase, prepareCeiling, startCeiling } from './ceiling.js';
import { describeRound, median, routeSpecs, runOnce, type RoundResult, type RouteSpec } from './load.js';
import { choosePinning, pinThisProcess } from './pinning.js';
import type { CeilingReport, CeilingRoute, SideVersusCeiling } from './report.js';
import type { Resources } from './resources.js';
import { seed, type Session } from './seed.js';
import { startServer, stopServer, type Server } from './server.js';

const TARGETS = { 'GET /users/me': 0.75, 'GET /todos?limit=20': 0.8 } as const;
/** The service's p99 may be at most this many times the ceiling's. */
const P99_TARGET = 2;
type RouteName = keyof typeof TARGETS;
const SIDES = ['service', 'uncached', 'ceiling'] as const;
type Side = (typeof SIDES)[number];
/**
 * One measured run, the server's CPU milliseconds per answered request in it, and its Postgres
 * backends' (null off Linux, or when Postgres is not on this machine).
 */
type Measured = RoundResult & { cpuMsPerRequest: number | null; pgCpuMsPerRequest: number | null };

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** User + system CPU seconds of a process so far (fields 14 and 15 of /proc/<pid>/stat), or null. */
export function cpuSeconds(pid: number): number | null {
  try {
    return statCpuSeconds(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
}

/** User and system CPU seconds from a /proc `stat` file, a process's or a thread's. */
function statCpuSeconds(path: string): number {
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/**
 * CPU seconds of each of a process's threads, summed by thread name: `main` for the event loop's
 * thread, then as the kernel names the others (node 24: `V8Worker` for V8's helper threads, which
 * do the concurrent parts of garbage collection and compilation; `WorkerThread` for a
 * worker_threads thread; `libuv-worker` for the thread pool). Empty when /proc cannot be read.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byName.set(name, (byName.get(name) ?? 0) + statCpuSeconds(`/proc/${pid}/task/${tid}/stat`));
    } catch {
      // The thread ended between the listing and the reading.
    }
  }
  return byName;
}

/** The `application_name` each side's database connections carry, so its backends can be told apart. */
const applicationName = (side: Side) => `bench-${side}`;
const withApplicationName = (url: string, side: Side) => {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', applicationName(side));
  return parsed.toString();
};

/** CPU seconds so far of every Postgres backend serving `side`, by pid; null when one cannot be read. */
async function backendCpu(admin: pg.Client, side: Side): Promise<Map<number, number> | null> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName(side)]);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    const seconds = cpuSeconds(pid);
    if (seconds === null) return null;
    cpu.set(pid, seconds);
  }
  return cpu;
}

/**
 * CPU seconds between two readings of the same backends. A backend that appeared in between counts
 * from 0: a pool that had closed its idle connections before the round (the ceiling's, idle for 10 s
 * while the other servers ran) opens new ones during it.
 */
function backendCpuBetween(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after || after.size === 0) return null;
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

async function measure(baseUrl: string, pid: number, spec: RouteSpec, admin: pg.Client, side: Side): Promise<Measured> {
  const cpuBefore = cpuSeconds(pid);
  const pgBefore = await backendCpu(admin, side);
  const result = await runOnce(baseUrl, spec, { seconds: ROUND_SECONDS });
  const cpuAfter = cpuSeconds(pid);
  const pgSeconds = backendCpuBetween(pgBefore, await backendCpu(admin, side));
  const answered = Object.values(result.statusCodes).reduce((a, b) => a + b, 0);
  const perRequest = (seconds: number | null) => (seconds === null || answered === 0 ? null : (seconds * 1000) / answered);
  return {
    ...result,
    cpuMsPerRequest: perRequest(cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore),
    pgCpuMsPerRequest: perRequest(pgSeconds),
  };
}

export interface Comparison {
  report: CeilingReport;
  /** Errors and non-2xx responses summed over the measured rounds of both servers. */
  failures: number;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** The two routes as the bench's own request definitions, every connection with `token`. */
export function specsFor(token: string): Record<RouteName, RouteSpec> {
  const only: Session = { email: '', password: '', accessToken: token, refreshToken: '', inFlight: false };
  const specs = routeSpecs([only]);
  return { 'GET /users/me': specs.me, 'GET /todos?limit=20': specs.listTodos };
}

/** Every server answers both routes with 200, and every list holds 20 todos: the same work. */
export async function checkSameWork(servers: Record<string, { baseUrl: string; token: string }>): Promise<void> {
  for (const [side, { baseUrl, token }] of Object.entries(servers)) {
    const sizes: string[] = [];
    for (const path of ['/users/me', '/todos?limit=20']) {
      const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`${side} GET ${path}: expected 200, got ${response.status} ${body}`);
      if (path.startsWith('/todos') && (JSON.parse(body) as { items: unknown[] }).items.length !== 20) {
        throw new Error(`${side} GET ${path}: expected 20 todos, got ${body}`);
      }
      sizes.push(`GET ${path} ${Buffer.byteLength(body)} bytes`);
    }
    log(`${side}: ${sizes.join(', ')}`);
  }
}

/** One side of the service against the ceiling: medians over the rounds, of the side and of the per-round ratios. */
function versusCeiling(side: Measured[], ceiling: Measured[]): SideVersusCeiling {
  const pairs = side.map((measured, i) => ({ side: measured, ceiling: ceiling[i] }));
  const cpuPairs = pairs.filter((p) => p.side.cpuMsPerRequest && p.ceiling.cpuMsPerRequest);
  return {
    rps: round2(median(side.map((r) => r.rps))),
    p99: median(side.map((r) => r.p99)),
    ratio: round3(median(pairs.map((p) => p.side.rps / p.ceiling.rps))),
    // autocannon's latencies are whole milliseconds: a 0 ms p99 counts as 1.
    p99Ratio: round3(median(pairs.map((p) => p.side.p99 / Math.max(p.ceiling.p99, 1)))),
    // Requests per CPU-second, service ÷ ceiling: what the req/s ratio would be on an otherwise idle core.
    cpuRatio: cpuPairs.length === 0 ? null : round3(median(cpuPairs.map((p) => p.ceiling.cpuMsPerRequest! / p.side.cpuMsPerRequest!))),
  };
}

function routeReport(name: RouteName, rounds: Record<Side, Measured[]>): CeilingRoute {
  const round4 = (n: number | null) => (n === null ? null : Math.round(n * 10_000) / 10_000);
  const row = (r: Measured) => ({ rps: round2(r.rps), p99: r.p99, cpuMsPerRequest: round4(r.cpuMsPerRequest), pgCpuMsPerRequest: round4(r.pgCpuMsPerRequest) });
  const { rps, p99, ...service } = versusCeiling(rounds.service, rounds.ceiling);
  return {
    service: { rps, p99 },
    ceiling: { rps: round2(median(rounds.ceiling.map((r) => r.rps))), p99: median(rounds.ceiling.map((r) => r.p99)) },
    ...service,
    target: TARGETS[name],
    p99Target: P99_TARGET,
    uncached: versusCeiling(rounds.uncached, rounds.ceiling),
    rounds: rounds.service.map((_, i) => ({ service: row(rounds.service[i]), uncached: row(rounds.uncached[i]), ceiling: row(rounds.ceiling[i]) })),
  };
}

/**
 * Runs the whole comparison and releases what it started before returning. A missing ceiling is a
 * skip, not a failure.
 */
export async function compareWithCeiling(resources: Resources, workDir: string, keysDir: string): Promise<Comparison> {
  const prepared = await prepareCeiling();
  if ('skip' in prepared) {
    log(`SKIPPED the comparison with the ceiling: ${prepared.skip}`);
    return { report: { skipped: prepared.skip }, failures: 0 };
  }
  const pinning = choosePinning();
  if ('unpinned' in pinning) log(`comparison runs UNPINNED (${pinning.unpinned}): its ratios are rougher`);
  else log(`comparison: servers on CPU ${pinning.serverCpu}, load generator on CPU ${pinning.loadCpu}`);
  const cpu = 'unpinned' in pinning ? undefined : pinning.serverCpu;

  const serviceDb = await createScratchDatabase('bench');
  const dropServiceDb = resources.hold(`database ${serviceDb.name}`, () => dropScratchDatabase(serviceDb));
  // Created after the service's, so released before it: dropping the service's may stop an embedded Postgres.
  const ceilingDb = await createEmptyDatabase(serviceDb);
  const dropCeilingDb = resources.hold(`database ${ceilingDb.name}`, () => dropScratchDatabase(ceilingDb));
  log(`comparison databases ${serviceDb.name} (service, migrated) and ${ceilingDb.name} (ceiling, empty) on ${serviceDb.source}`);

  const services: Server[] = [];
  const stopServices = resources.hold('the compared services', async () => {
    for (const started of services) await stopServer(started.child);
  });
  const service = await startServer(withApplicationName(serviceDb.url, 'service'), keysDir, join(workDir, 'service-compared.log'), { cpu });
  services.push(service);
  const uncached = await startServer(withApplicationName(serviceDb.url, 'uncached'), keysDir, join(workDir, 'service-uncached.log'), {
    cpu,
    env: { ACCESS_TOKEN_CACHE_SIZE: '0' },
  });
  services.push(uncached);
  const ceiling = await startCeiling(prepared.script, withApplicationName(ceilingDb.url, 'ceiling'), join(workDir, 'ceiling.log'), { cpu });
  const stopCeiling = resources.hold('the ceiling', () => stopServer(ceiling.child));
  log(`service pid ${service.child.pid} on ${service.baseUrl}, the same with ACCESS_TOKEN_CACHE_SIZE=0 pid ${uncached.child.pid} on ${uncached.baseUrl}, ceiling pid ${ceiling.child.pid} on ${ceiling.baseUrl}`);

  // Like the ceiling's seed: one user, 20 todos with a title only; both services share the database and keys.
  const [session] = await seed(service.baseUrl, 1, (n) => ({ title: `todo ${n + 1}` }));
  const servers: Record<Side, { baseUrl: string; token: string; pid: number }> = {
    service: { baseUrl: service.baseUrl, token: session.accessToken, pid: service.child.pid! },
    uncached: { baseUrl: uncached.baseUrl, token: session.accessToken, pid: uncached.child.pid! },
    ceiling: { baseUrl: ceiling.baseUrl, token: ceiling.token, pid: ceiling.child.pid! },
  };
  await checkSameWork(servers);
  const specs = Object.fromEntries(SIDES.map((side) => [side, specsFor(servers[side].token)])) as Record<Side, Record<RouteName, RouteSpec>>;
  const routes = Object.keys(TARGETS) as RouteName[];
  const rounds = Object.fromEntries(routes.map((route) => [route, { service: [] as Measured[], uncached: [] as Measured[], ceiling: [] as Measured[] }])) as Record<
    RouteName,
    Record<Side, Measured[]>
  >;

  const admin = new pg.Client({ connectionString: serviceDb.url });
  await admin.connect();
  const closeAdmin = resources.hold('the Postgres CPU reader', () => admin.end());
  const loadBefore = loadavg();
  if (!('unpinned' in pinning)) pinThisProcess(String(pinning.loadCpu));
  try {
    for (const route of routes) {
      for (const side of SIDES) {
        const warmup = await runOnce(servers[side].baseUrl, specs[side][route], { seconds: WARMUP_SECONDS });
        log(`${route} ${side}: warm-up ${WARMUP_SECONDS} s: ${describeRound(warmup)}`);
      }
    }
    for (let i = 1; i <= ROUNDS; i++) {
      const order: readonly Side[] = i % 2 === 1 ? SIDES : [...SIDES].reverse();
      for (const route of routes) {
        for (const side of order) {
          const result = await measure(servers[side].baseUrl, servers[side].pid, specs[side][route], admin, side);
          const µs = (ms: number | null, what: string) => (ms === null ? '' : `, ${(ms * 1000).toFixed(0)} µs ${what}`);
          const cpu = µs(result.cpuMsPerRequest, 'CPU/request') + µs(result.pgCpuMsPerRequest, 'Postgres CPU/request');
          log(`${route} ${side}: round ${i}/${ROUNDS}: ${describeRound(result)}${cpu}`);
          rounds[route][side].push(result);
        }
      }
    }
  } finally {
    // Back to the whole machine for whatever runs next (the rest of the full bench).
    if (!('unpinned' in pinning)) pinThisProcess(pinning.original);
  }
  const loadAfter = loadavg();
  await closeAdmin();

  await stopCeiling();
  await stopServices();
  await dropCeilingDb();
  await dropServiceDb();

  const failures = routes.reduce((sum, route) => sum + SIDES.reduce((s, side) => s + rounds[route][side].reduce((n, r) => n + r.errors + r.non2xx, 0), 0), 0);
  return {
    failures,
    report: {
      ceilingDir: CEILING_DIR,
      serviceTokenFormat: TOKEN_FORMAT,
      pinning: 'unpinned' in pinning ? { unpinned: pinning.unpinned } : { serverCpu: pinning.serverCpu, loadCpu: pinning.loadCpu },
      connections: CONNECTIONS,
      rounds: ROUNDS,
      roundSeconds: ROUND_SECONDS,
      warmupSeconds: WARMUP_SECONDS,
      loadAverage: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
      routes: Object.fromEntries(routes.map((route) => [route, routeReport(route, rounds[route])])),
    },
  };
}
