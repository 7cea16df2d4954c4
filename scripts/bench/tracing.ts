/**
 * npm run bench:tracing — what tracing costs GET /users/me. The built server, started as
 * `npm run start:prod` starts it, three ways: OTEL_EXPORTER_OTLP_ENDPOINT unset (the SDK is never
 * loaded), set with OTEL_TRACES_SAMPLER=parentbased_traceidratio at 0.1 (the target: at
 * most 10 % fewer requests per second), and at 1. Spans go to a local OTLP/HTTP sink that accepts
 * and discards them. Each round runs the three in turn, so whatever else loads a shared machine
 * falls on all of them alike; the medians are reported, with the server's CPU time per request,
 * which a busy machine disturbs far less than requests per second. BENCH_DURATION (s, default 5),
 * BENCH_ROUNDS (default 3) and BENCH_WARMUP (s, default 8) as for the other benches.
 */
import autocannon from 'autocannon';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMissingKeys } from '../../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase } from '../../test/support/database.js';
import { cpuSeconds } from './compare.js';
import { intFromEnv, log, TOKEN_FORMAT } from './config.js';
import { describeRound, type RoundResult, runOnce } from './load.js';
import { seed } from './seed.js';
import { buildService, startServer, stopServer } from './server.js';

const SECONDS = intFromEnv('BENCH_DURATION', 5);
const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP', 8);
/** The fixed load under which CPU per request is compared: low enough for every variant on a busy machine. */
const FIXED_RATE = intFromEnv('BENCH_TRACING_RATE', 150);

/** Server CPU µs per answered request at a fixed `rate` of requests per second, for `seconds`. */
async function cpuAtFixedRate(baseUrl: string, pid: number, headers: Record<string, string>, seconds: number, rate: number): Promise<number> {
  const before = cpuSeconds(pid);
  let answered = 0;
  const instance = autocannon({ url: `${baseUrl}/users/me`, connections: 10, overallRate: rate, duration: seconds, headers });
  instance.on('response', () => answered++);
  await instance;
  const after = cpuSeconds(pid);
  return before === null || after === null ? NaN : ((after - before) * 1e6) / answered;
}

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

  const variants: Record<string, Record<string, string>> = {
    'tracing off': {},
    'tracing on, ratio 0.1': { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    'tracing on, ratio 1': { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '1' },
  };
  type Measured = RoundResult & { cpuUsPerRequest: number; cpuUsAtFixedRate: number };
  const results = new Map<string, Measured[]>(Object.keys(variants).map((name) => [name, []]));
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, env] of Object.entries(variants)) {
        const server = await startServer(db.url, keysDir, join(workDir, 'server.log'), { env });
        try {
          const [session] = await seed(server.baseUrl, 1, () => ({ title: 'bench' }));
          const spec = {
            name: 'GET /users/me',
            requestsFor: () => [{ method: 'GET' as const, path: '/users/me', headers: { authorization: `Bearer ${session.accessToken}` } }],
          };
          // Start-up work (module loading through the loader hook, V8 compiling the hot paths) is
          // over before the measured window, whichever variant runs.
          await runOnce(server.baseUrl, spec, { seconds: WARMUP_SECONDS });
          const cpuBefore = cpuSeconds(server.child.pid!);
          const round_ = await runOnce(server.baseUrl, spec, { seconds: SECONDS });
          const cpuAfter = cpuSeconds(server.child.pid!);
          const answered = Object.values(round_.statusCodes).reduce((sum, count) => sum + count, 0);
          const cpuUsAtFixedRate = await cpuAtFixedRate(
            server.baseUrl,
            server.child.pid!,
            { authorization: `Bearer ${session.accessToken}` },
            SECONDS,
            FIXED_RATE,
          );
          const result = {
            ...round_,
            cpuUsPerRequest: cpuBefore === null || cpuAfter === null ? NaN : ((cpuAfter - cpuBefore) * 1e6) / answered,
            cpuUsAtFixedRate,
          };
          results.get(name)!.push(result);
          log(
            `round ${round}, ${name}: ${describeRound(result)}, ${result.cpuUsPerRequest.toFixed(0)} µs CPU/request; ` +
              `at ${FIXED_RATE} req/s ${cpuUsAtFixedRate.toFixed(0)} µs CPU/request`,
          );
        } finally {
          await stopServer(server.child);
        }
      }
    }
  } finally {
    sink.close();
    await dropScratchDatabase(db);
    await rm(workDir, { recursive: true, force: true });
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const off = results.get('tracing off')!;
  const offRps = median(off.map((r) => r.rps));
  const offCpu = median(off.map((r) => r.cpuUsPerRequest));
  const offFixed = median(off.map((r) => r.cpuUsAtFixedRate));
  const percent = (value: number, base: number) => `${value >= base ? '+' : ''}${((value / base - 1) * 100).toFixed(1)} %`;
  for (const [name, rounds] of results) {
    const rps = median(rounds.map((r) => r.rps));
    const cpu = median(rounds.map((r) => r.cpuUsPerRequest));
    const fixed = median(rounds.map((r) => r.cpuUsAtFixedRate));
    log(
      `${name}: median ${rps.toFixed(0)} req/s (${percent(rps, offRps)}), ${cpu.toFixed(0)} µs CPU/request at full load (${percent(cpu, offCpu)}), ` +
        `${fixed.toFixed(0)} µs at ${FIXED_RATE} req/s (${percent(fixed, offFixed)})`,
    );
  }
  log(`${exported} OTLP exports received`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
