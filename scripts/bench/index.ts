/**
 * `npm run bench` (issues 5 and 13): builds the service and runs its production entry point
 * (dist/main.js) as a child process on fresh scratch databases.
 *
 * 1. Side by side with the speed ceiling in ../shared/perf-limit (compare.ts): GET /users/me and
 *    GET /todos?limit=20 on the service, on the same service with ACCESS_TOKEN_CACHE_SIZE=0 and on the
 *    ceiling, pinned to the same core, in interleaved rounds; reported as ratios. Skipped, with a line
 *    saying so, when the ceiling is not there.
 * 2. Not with --quick: seeds users and todos, drives every hot route with autocannon, measures the
 *    bcrypt ceiling, a login flood and memory, as before.
 * It prints Markdown tables; the figures also go to bench/results.json.
 *
 * Any error or non-2xx response in a measured run fails the bench (exit code 1), after the report
 * and the cleanup. Targets are reported (PASS/MISS) but do not change the exit code.
 *
 * config.ts holds the knobs (BENCH_* environment variables shorten the run); server.ts starts and
 * stops the service, ceiling.ts the ceiling, pinning.ts pins them; seed.ts creates the data; load.ts
 * drives the routes; compare.ts runs the comparison; report.ts prints the results.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateMissingKeys } from '../../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase } from '../../test/support/database.js';
import { compareWithCeiling } from './compare.js';
import { BCRYPT_ROUNDS, COMPARE_CONCURRENCY, CONNECTIONS, log, QUICK, RESULTS_FILE, ROUND_SECONDS, TODOS_PER_USER, TOKEN_FORMAT, USERS } from './config.js';
import { bcryptCompareRate, benchCounted, benchTimed, routeSpecs, startProbe, type RouteResult } from './load.js';
import { buildReport, percentile, printCeilingReport, printReport, round1, round2, type Report } from './report.js';
import { Resources } from './resources.js';
import { repairSessions, seed } from './seed.js';
import { buildService, peakRssMb, sessionTableReads, startServer, stopServer, type Server } from './server.js';

interface ServiceMeasurements {
  report: Report;
  probe: { samples: number; errors: number; non2xx: number };
  /** Names of the runs with errors or non-2xx responses. */
  failures: string[];
}

/** Every hot route of the service, unpinned, on its own database with USERS users. */
async function measureService(resources: Resources, workDir: string, keysDir: string): Promise<ServiceMeasurements> {
  const db = await createScratchDatabase('bench');
  const dropDb = resources.hold(`database ${db.name}`, () => dropScratchDatabase(db));
  log(`database ${db.name} on ${db.source}`);
  // eslint-disable-next-line prefer-const -- the release below must see it, and it is assigned after
  let server: Server | undefined;
  const stop = resources.hold('the service', async () => {
    if (server) await stopServer(server.child);
  });
  server = await startServer(db.url, keysDir, join(workDir, 'server.log'));
  const { baseUrl } = server;
  log(`server pid ${server.child.pid} on ${baseUrl}, log ${server.logFile}`);

  log(`seeding ${USERS} users (bcrypt cost ${BCRYPT_ROUNDS}) with ${TODOS_PER_USER} todos each`);
  const sessions = await seed(baseUrl);
  if (sessions.length < CONNECTIONS) throw new Error(`refresh needs one session per connection: BENCH_USERS must be ≥ ${CONNECTIONS}`);
  const specs = routeSpecs(sessions);

  const routes = new Map<string, RouteResult>();
  routes.set(specs.jwks.name, await benchTimed(baseUrl, specs.jwks));
  // The session check must not read the database in the steady state: count the reads of the
  // sessions table while GET /users/me runs (a cold cache costs one per session, 50 at most).
  const readsBefore = await sessionTableReads(db.url);
  routes.set(specs.me.name, await benchTimed(baseUrl, specs.me));
  const sessionReads = (await sessionTableReads(db.url)) - readsBefore;
  const meRequests = routes.get(specs.me.name)!.rounds.reduce((sum, round) => sum + Object.values(round.statusCodes).reduce((a, b) => a + b, 0), 0);
  log(`sessions table reads during GET /users/me: ${sessionReads} for ${meRequests} measured requests (and their warm-up)`);
  // Reads before the write so GET /todos sees the seeded 20 per user, not what POST /todos adds.
  for (const spec of [specs.listTodos, specs.createTodo]) routes.set(spec.name, await benchTimed(baseUrl, spec));
  // After the access-token routes: a broken chain revokes its session, and with it those tokens.
  routes.set(specs.refresh.name, await benchCounted(baseUrl, specs.refresh, 20, { between: () => repairSessions(baseUrl, sessions) }));

  // The server is idle here, so the compares measure the box, not the box minus the server.
  log(`bcrypt.compare at cost ${BCRYPT_ROUNDS}, concurrency ${COMPARE_CONCURRENCY}, ${ROUND_SECONDS} s`);
  const comparePerSec = await bcryptCompareRate();
  log(`bcrypt.compare: ${comparePerSec.toFixed(1)} /s`);

  const probeLatencies: number[] = [];
  const probeFailures = { errors: 0, non2xx: 0 };
  routes.set(specs.login.name, await benchCounted(baseUrl, specs.login, 1, { duringRound: () => startProbe(baseUrl, probeLatencies, probeFailures) }));

  const peakRss = peakRssMb(server.child.pid!);
  const loginRps = routes.get(specs.login.name)!.median.rps;
  const report = buildReport(routes, {
    tokenFormat: TOKEN_FORMAT,
    bcryptComparePerSec: round1(comparePerSec),
    loginEfficiency: Math.round((loginRps / comparePerSec) * 1000) / 1000,
    probeP99DuringLoginMs: round2(percentile(probeLatencies, 99)),
    peakRssMb: round1(peakRss),
  });
  await stop();
  await dropDb();

  const failures = [...routes].filter(([, r]) => r.errors > 0 || r.non2xx > 0).map(([name]) => name);
  if (probeFailures.errors > 0 || probeFailures.non2xx > 0) failures.push('probe');
  return { report, probe: { samples: probeLatencies.length, ...probeFailures }, failures };
}

async function main(): Promise<number> {
  const began = performance.now();
  const resources = new Resources();
  const workDir = await mkdtemp(join(tmpdir(), 'bench-'));
  let succeeded = false;

  let cleaning: Promise<void> | undefined;
  // Idempotent: reached from the finally block and from SIGINT/SIGTERM, whichever comes first.
  const cleanup = () =>
    (cleaning ??= (async () => {
      await resources.releaseAll();
      // The servers' logs are kept on failure: they are the first thing to read.
      if (succeeded) await rm(workDir, { recursive: true, force: true });
      else await rm(join(workDir, 'keys'), { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    if (QUICK) log('quick mode: only the comparison with the ceiling');
    buildService();
    const keysDir = join(workDir, 'keys');
    await generateMissingKeys(keysDir, TOKEN_FORMAT);

    const comparison = await compareWithCeiling(resources, workDir, keysDir);
    const service = QUICK ? undefined : await measureService(resources, workDir, keysDir);

    await cleanup();
    if (service) printReport(service.report, service.probe);
    printCeilingReport(comparison.report);
    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    const results = { mode: QUICK ? 'quick' : 'full', ...service?.report, ceiling: comparison.report };
    await writeFile(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${RESULTS_FILE}; total ${((performance.now() - began) / 1000).toFixed(0)} s`);

    const failures = [...(service?.failures ?? [])];
    if (comparison.failures > 0) failures.push('the comparison with the ceiling');
    if (failures.length > 0) {
      console.error(`FAILED: errors or non-2xx responses in measured runs of ${failures.join(', ')}; logs in ${workDir}`);
      return 1;
    }
    succeeded = true;
    await rm(workDir, { recursive: true, force: true });
    return 0;
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error(`server logs: ${workDir}`);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();
