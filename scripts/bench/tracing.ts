/**
 * npm run bench:tracing — what tracing costs GET /users/me. The built server, started as
 * `npm run start:prod` starts it, with OTEL_EXPORTER_OTLP_ENDPOINT unset (the SDK is never loaded)
 * and set with OTEL_TRACES_SAMPLER=parentbased_traceidratio at each ratio of BENCH_TRACING_RATIOS
 * (default "0.1,1"; 0.1 is the issue's target: at most 10 % fewer requests per second; 0 shows what
 * the requests the sampler leaves out pay). Spans go to a local OTLP/HTTP sink that accepts and
 * discards them.
 *
 * The servers run side by side on one core (the load generator, this process, on the other,
 * as in the comparison with the ceiling) and take turns: after a warm-up each, every round runs each
 * of them for BENCH_DURATION seconds (default 5), in alternating order, and each traced server's
 * req/s and CPU time per request are divided by the untraced server's in the same round. On the
 * development VM the machine's speed moves by up to 2× within a minute; a ratio between runs a few
 * seconds apart cancels most of that. What it does not cancel is the process itself: what V8 makes
 * of a server (which call sites go megamorphic, which literals run through its runtime) is decided
 * per process and moved one server's cost by 10 % from one start to the next (docs/tracing.md). So
 * the servers are started BENCH_SETS times (default 3), fresh each time, for BENCH_ROUNDS rounds
 * each (default 3); a set's figure is the median of its rounds' ratios, and the run's the median of
 * its sets'. BENCH_WARMUP (s, default 8) as for the other benches. Each round also reports the CPU
 * time of each of the server's threads (main, V8's helpers, the OTLP export thread), per request.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMissingKeys } from '../../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase } from '../../test/support/database.js';
import { cpuSeconds, threadCpuSeconds } from './compare.js';
import { intFromEnv, log, TOKEN_FORMAT } from './config.js';
import { describeRound, median, runOnce } from './load.js';
import { choosePinning, pinThisProcess } from './pinning.js';
import { seed } from './seed.js';
import { buildService, type Server, startServer, stopServer } from './server.js';

const SECONDS = intFromEnv('BENCH_DURATION', 5);
const SETS = intFromEnv('BENCH_SETS', 3);
const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP', 8);
const RATIOS = (process.env.BENCH_TRACING_RATIOS ?? '0.1,1').split(',').map((raw) => {
  const ratio = raw.trim();
  if (ratio === '' || !(Number(ratio) >= 0 && Number(ratio) <= 1)) {
    throw new Error(`BENCH_TRACING_RATIOS must list sampling ratios from 0 to 1, e.g. 0,0.1,1; got "${raw}"`);
  }
  return ratio;
});

/** The threads that used at least 0.1 µs a request, e.g. "main 121.4, V8Worker 3.5, WorkerThread 1.0". */
const describeThreads = (usByThread: [string, number][]) =>
  usByThread
    .filter(([, us]) => us >= 0.1)
    .map(([thread, us]) => `${thread} ${us.toFixed(1)}`)
    .join(', ');

/** The untraced server: every other variant's figures are divided by its own in the same round. */
const OFF = 'tracing off';

const percent = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)} %`;

async function main(): Promise<void> {
  buildService();
  const workDir = await mkdtemp(join(tmpdir(), 'bench-tracing-'));
  const keysDir = join(workDir, 'keys');
  await generateMissingKeys(keysDir, TOKEN_FORMAT);
  const db = await createScratchDatabase('bench');
  let exported = 0;
  const sink = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exported++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const traced = (ratio: string) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio });
  const variants: Record<string, Record<string, string>> = {
    [OFF]: {},
    ...Object.fromEntries(RATIOS.map((ratio) => [`tracing on, ratio ${ratio}`, traced(ratio)])),
  };
  const pinning = choosePinning();
  if ('unpinned' in pinning) log(`UNPINNED (${pinning.unpinned}): the ratios are rougher`);
  const cpu = 'unpinned' in pinning ? undefined : pinning.serverCpu;

  const measured = new Map<string, { rps: number; cpu: number }[]>(Object.keys(variants).map((name) => [name, []]));
  /** CPU µs per request of each thread (by name), every round, per variant. */
  const byThread = new Map<string, Map<string, number[]>>(Object.keys(variants).map((name) => [name, new Map()]));
  /** Each set's median ratios against off, per traced variant: what the run reports. */
  const setRatios = new Map<string, { rps: number; cpu: number }[]>(
    Object.keys(variants)
      .filter((name) => name !== OFF)
      .map((name) => [name, []]),
  );
  let session: { accessToken: string } | undefined;
  try {
    for (let set = 1; set <= SETS; set++) {
      const servers: [string, Server][] = [];
      const firstRound = measured.get(OFF)!.length;
      try {
        for (const [name, env] of Object.entries(variants)) {
          servers.push([name, await startServer(db.url, keysDir, join(workDir, `${set}-${servers.length}.log`), { env, cpu })]);
        }
        [session] = session ? [session] : await seed(servers[0][1].baseUrl, 1, () => ({ title: 'bench' }));
        const token = session.accessToken;
        const spec = {
          name: 'GET /users/me',
          requestsFor: () => [{ method: 'GET' as const, path: '/users/me', headers: { authorization: `Bearer ${token}` } }],
        };
        if (!('unpinned' in pinning)) pinThisProcess(String(pinning.loadCpu));
        try {
          // Start-up work (module loading through the loader hook, V8 compiling the hot paths) is
          // over before the measured rounds, whichever variant runs.
          for (const [, server] of servers) await runOnce(server.baseUrl, spec, { seconds: WARMUP_SECONDS });
          for (let round = 1; round <= ROUNDS; round++) {
            for (const [name, server] of round % 2 === 1 ? servers : [...servers].reverse()) {
              const before = cpuSeconds(server.child.pid!);
              const threadsBefore = threadCpuSeconds(server.child.pid!);
              const result = await runOnce(server.baseUrl, spec, { seconds: SECONDS });
              const after = cpuSeconds(server.child.pid!);
              const threadsAfter = threadCpuSeconds(server.child.pid!);
              const answered = Object.values(result.statusCodes).reduce((sum, count) => sum + count, 0);
              const cpuUs = before === null || after === null ? NaN : ((after - before) * 1e6) / answered;
              measured.get(name)!.push({ rps: result.rps, cpu: cpuUs });
              const usByThread = [...threadsAfter].map(([thread, seconds]) => [thread, ((seconds - (threadsBefore.get(thread) ?? 0)) * 1e6) / answered] as [string, number]);
              const threads = byThread.get(name)!;
              for (const [thread, us] of usByThread) threads.set(thread, [...(threads.get(thread) ?? []), us]);
              log(`set ${set}, round ${round}, ${name}: ${describeRound(result)}, ${cpuUs.toFixed(0)} µs CPU/request (${describeThreads(usByThread)})`);
            }
          }
        } finally {
          if (!('unpinned' in pinning)) pinThisProcess(pinning.original);
        }
      } finally {
        for (const [, server] of servers) await stopServer(server.child);
      }
      const off = measured.get(OFF)!.slice(firstRound);
      for (const [name, rounds] of measured) {
        if (name === OFF) continue;
        const mine = rounds.slice(firstRound);
        setRatios.get(name)!.push({
          rps: median(mine.map((r, i) => r.rps / off[i].rps)),
          cpu: median(mine.map((r, i) => r.cpu / off[i].cpu)),
        });
      }
    }
  } finally {
    sink.close();
    await dropScratchDatabase(db);
    await rm(workDir, { recursive: true, force: true });
  }
  for (const [name, threads] of byThread) {
    const medians = [...threads].map(([thread, us]) => [thread, median(us)] as [string, number]);
    log(`${name}: CPU µs/request by thread, median of all rounds: ${describeThreads(medians)}`);
  }
  for (const [name, rounds] of measured) {
    if (name === OFF) {
      log(`${name}: median ${median(rounds.map((r) => r.rps)).toFixed(0)} req/s, ${median(rounds.map((r) => r.cpu)).toFixed(0)} µs CPU/request`);
      continue;
    }
    const sets = setRatios.get(name)!;
    log(
      `${name}: against off, the median of ${SETS} sets of fresh servers: req/s ${percent(median(sets.map((r) => r.rps)))}, ` +
        `CPU/request ${percent(median(sets.map((r) => r.cpu)))}`,
    );
    // Rounds within a set share its processes' JIT state; the sets say how far that moves.
    log(`  per set: req/s ${sets.map((r) => percent(r.rps)).join(', ')}; CPU/request ${sets.map((r) => percent(r.cpu)).join(', ')}`);
  }
  log(`${exported} OTLP exports received`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
