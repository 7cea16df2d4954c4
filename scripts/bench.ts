/**
 * `npm run bench` (issue 5): builds the service, runs the production entry point (dist/main.js) as a
 * child process against a fresh migrated scratch database, seeds users and todos, drives every hot
 * route with autocannon and prints a Markdown table; the figures also go to bench/results.json.
 *
 * Any error or non-2xx response in a measured run fails the bench (exit code 1), after the report
 * and the cleanup. Targets are reported (PASS/MISS) but do not change the exit code.
 *
 * Environment knobs: BENCH_BCRYPT_ROUNDS (default 12, the production cost), BENCH_USERS (50),
 * BENCH_DURATION (seconds per measured round, 10), BENCH_ROUNDS (3), BENCH_WARMUP (seconds, 3),
 * BENCH_NODE_ARGS (extra node flags for the server, e.g. for --cpu-prof), BENCH_TOKEN_FORMAT (jwt or
 * paseto: the server's TOKEN_FORMAT, default jwt; run once per format to compare them).
 */
import autocannon from 'autocannon';
import pg from 'pg';
import bcrypt from 'bcrypt';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMissingKeys, TOKEN_FORMATS, type TokenFormat } from '../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase, freePort, type ScratchDatabase } from '../test/support/database.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS_FILE = join(ROOT, 'bench', 'results.json');

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

const BCRYPT_ROUNDS = intFromEnv('BENCH_BCRYPT_ROUNDS', 12);
const USERS = intFromEnv('BENCH_USERS', 50);
const TODOS_PER_USER = 20;
const CONNECTIONS = 50;
const ROUND_SECONDS = intFromEnv('BENCH_DURATION', 10);
const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP', 3);
const TOKEN_FORMAT = (process.env.BENCH_TOKEN_FORMAT || 'jwt') as TokenFormat;
if (!TOKEN_FORMATS.includes(TOKEN_FORMAT)) throw new Error(`BENCH_TOKEN_FORMAT must be ${TOKEN_FORMATS.join(' or ')}`);
/** Seeding signs up and logs in this many users at once: each costs a bcrypt hash or compare. */
const SEED_CONCURRENCY = 4;
const PROBE_RATE = 50;
const COMPARE_CONCURRENCY = CONNECTIONS;
/**
 * A login waits behind up to 49 others for a 4-thread bcrypt pool on 2 cores (~5 s at cost 12);
 * autocannon's default 10 s timeout would reconnect and resend, which for a refresh chain would
 * replay a spent token and revoke the session.
 */
const REQUEST_TIMEOUT_SECONDS = 60;

const TARGETS = {
  'GET /todos?limit=20': 2_240,
  'GET /users/me': 3_500,
  'POST /auth/refresh': 600,
  loginEfficiency: 0.9,
  probeP99DuringLoginMs: 25,
  peakRssMb: 300,
};

// ---------------------------------------------------------------------------------------------
// Process and server plumbing
// ---------------------------------------------------------------------------------------------

/**
 * Scans of the sessions table so far, from Postgres' own statistics. Backends publish them at
 * most once a second, so this waits for the last ones first.
 */
async function sessionTableReads(databaseUrl: string): Promise<number> {
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

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

interface Server {
  child: ChildProcess;
  baseUrl: string;
  logFile: string;
}

/** The node flags of package.json's `start:prod` (`node <flags> dist/main.js`). */
function startProdNodeFlags(): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.js') throw new Error(`start:prod is not "node <flags> dist/main.js": ${script}`);
  return words.slice(1, -1);
}

/** dist/main.js exactly as `npm run start:prod` runs it, so the measured code is the shipped code. */
async function startServer(databaseUrl: string, keysDir: string, logFile: string): Promise<Server> {
  const port = await freePort();
  // A file, not a pipe: nothing in this process has to drain the server's log while it is busy
  // generating load.
  const logFd = openSync(logFile, 'a');
  // Exactly `npm run start:prod` (its node flags included, e.g. the heap size), without npm in
  // between so the pid is the server's. BENCH_NODE_ARGS adds flags, e.g. "--cpu-prof".
  const nodeArgs = [...startProdNodeFlags(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
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
    },
  });
  closeSync(logFd);
  const server = { child, baseUrl: `http://127.0.0.1:${port}`, logFile };

  const deadline = Date.now() + 60_000;
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
  throw new Error(`GET /health did not answer 200 within 60 s; see ${logFile}`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  // Graceful shutdown drains in-flight requests; a hung one must not hang the bench.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** VmHWM: the peak resident set since the process started, which sampling RSS could miss. */
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

interface Session {
  email: string;
  password: string;
  accessToken: string;
  /** The latest, still unspent refresh token of this session's rotation chain. */
  refreshToken: string;
  /** A refresh was sent and no answer came back: its token may be spent, so the chain is unusable. */
  inFlight: boolean;
}

async function call(baseUrl: string, method: string, path: string, body: unknown, token?: string): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

async function expectStatus(baseUrl: string, method: string, path: string, body: unknown, status: number, token?: string): Promise<any> {
  const response = await call(baseUrl, method, path, body, token);
  if (response.status !== status) {
    throw new Error(`${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(response.json)}`);
  }
  return response.json;
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function login(baseUrl: string, email: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
  return expectStatus(baseUrl, 'POST', '/auth/login', { email, password }, 200);
}

async function seed(baseUrl: string): Promise<Session[]> {
  const run = randomBytes(4).toString('hex');
  const sessions = await pool(Array.from({ length: USERS }, (_, i) => i), SEED_CONCURRENCY, async (i) => {
    const email = `bench-${run}-${i}@example.com`;
    const password = `bench-pw-${randomBytes(9).toString('base64url')}`;
    await expectStatus(baseUrl, 'POST', '/auth/signup', { email, password, name: `Bench user ${i}` }, 201);
    const pair = await login(baseUrl, email, password);
    return { email, password, accessToken: pair.accessToken, refreshToken: pair.refreshToken, inFlight: false };
  });
  const todos = sessions.flatMap((session) => Array.from({ length: TODOS_PER_USER }, (_, n) => ({ session, n })));
  await pool(todos, 16, ({ session, n }) =>
    expectStatus(baseUrl, 'POST', '/todos', { title: `Seeded todo ${n}`, description: 'seeded by the benchmark' }, 201, session.accessToken),
  );
  return sessions;
}

/** A chain whose last refresh went unanswered may have been spent: open a fresh session instead. */
async function repairSessions(baseUrl: string, sessions: Session[]): Promise<void> {
  const broken = sessions.filter((session) => session.inFlight);
  if (broken.length === 0) return;
  log(`re-opening ${broken.length} session(s) whose last refresh went unanswered`);
  await pool(broken, SEED_CONCURRENCY, async (session) => {
    const pair = await login(baseUrl, session.email, session.password);
    Object.assign(session, { accessToken: pair.accessToken, refreshToken: pair.refreshToken, inFlight: false });
  });
}

// ---------------------------------------------------------------------------------------------
// Load generation
// ---------------------------------------------------------------------------------------------

interface RoundResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

interface RouteResult {
  /** The median round by req/s. */
  median: RoundResult;
  rounds: RoundResult[];
  /** Summed over every measured round, so a failure in a non-median round is not hidden. */
  errors: number;
  non2xx: number;
}

interface RouteSpec {
  name: string;
  /** The requests one connection sends, in a loop; `connection` is 0..CONNECTIONS-1. */
  requestsFor: (connection: number) => autocannon.Request[];
}

/**
 * One autocannon run. Time-boxed by default; with `perConnection` each connection stops after that
 * many answers, so nothing is left in flight when the run ends (a refresh chain must know which
 * token it holds, and abandoned logins would keep the bcrypt pool busy into the next round).
 * req/s is completed responses over the time to the last one: autocannon's own `duration` rounds a
 * count-bounded run up to its next 1 s sampling tick.
 */
async function runOnce(baseUrl: string, spec: RouteSpec, options: { seconds?: number; perConnection?: number }): Promise<RoundResult> {
  let connection = 0;
  let completed = 0;
  let lastResponseAt = 0;
  const startedAt = performance.now();
  const instance = autocannon({
    url: baseUrl,
    connections: CONNECTIONS,
    // A safety cap for count-bounded runs; the count normally ends them long before.
    duration: options.seconds ?? 120,
    maxConnectionRequests: options.perConnection,
    timeout: REQUEST_TIMEOUT_SECONDS,
    // Each connection gets its own user (and, for refresh, its own session chain).
    setupClient: (client) => client.setRequests(spec.requestsFor(connection++)),
  });
  instance.on('response', () => {
    completed++;
    lastResponseAt = performance.now();
  });
  const result = await instance;
  const elapsedSeconds = ((lastResponseAt || performance.now()) - startedAt) / 1000;
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]));
  return {
    rps: completed / elapsedSeconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    statusCodes,
  };
}

function describeRound(round: RoundResult): string {
  const codes = Object.entries(round.statusCodes).map(([code, count]) => `${code}×${count}`).join(' ');
  return `${round.rps.toFixed(1)} req/s, p50 ${round.p50} ms, p99 ${round.p99} ms, errors ${round.errors}, statuses ${codes || 'none'}`;
}

function summarise(rounds: RoundResult[]): RouteResult {
  const sorted = [...rounds].sort((a, b) => a.rps - b.rps);
  return {
    median: sorted[Math.floor((sorted.length - 1) / 2)],
    rounds,
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
    non2xx: rounds.reduce((sum, round) => sum + round.non2xx, 0),
  };
}

/** Warm-up, then the measured rounds, all time-boxed. */
async function benchTimed(baseUrl: string, spec: RouteSpec): Promise<RouteResult> {
  log(`${spec.name}: warm-up ${WARMUP_SECONDS} s`);
  const warmup = await runOnce(baseUrl, spec, { seconds: WARMUP_SECONDS });
  warnIfUnclean('warm-up', spec.name, warmup);
  const rounds: RoundResult[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const round = await runOnce(baseUrl, spec, { seconds: ROUND_SECONDS });
    log(`${spec.name}: round ${i}/${ROUNDS}: ${describeRound(round)}`);
    rounds.push(round);
  }
  return summarise(rounds);
}

/**
 * Warm-up with `warmupPerConnection` answers per connection, then measured rounds sized from the
 * latest rate to last about ROUND_SECONDS each. `between` runs after every run (session repairs);
 * `duringRound` starts a side load for the length of each measured round and returns its stop.
 */
async function benchCounted(
  baseUrl: string,
  spec: RouteSpec,
  warmupPerConnection: number,
  hooks: { between?: () => Promise<void>; duringRound?: () => () => Promise<void> } = {},
): Promise<RouteResult> {
  log(`${spec.name}: warm-up ${warmupPerConnection} request(s) per connection`);
  const warmup = await runOnce(baseUrl, spec, { perConnection: warmupPerConnection });
  warnIfUnclean('warm-up', spec.name, warmup);
  await hooks.between?.();
  // Re-sized from each round's rate: a cold warm-up underestimates the steady state.
  const sizeFor = (rps: number) => Math.max(1, Math.round((rps * ROUND_SECONDS) / CONNECTIONS));
  let perConnection = sizeFor(warmup.rps);
  log(`${spec.name}: warm-up ran at ${warmup.rps.toFixed(1)} req/s`);
  const rounds: RoundResult[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    const stopSideLoad = hooks.duringRound?.();
    const round = await runOnce(baseUrl, spec, { perConnection });
    await stopSideLoad?.();
    log(`${spec.name}: round ${i}/${ROUNDS} (${perConnection} per connection): ${describeRound(round)}`);
    rounds.push(round);
    perConnection = sizeFor(round.rps);
    await hooks.between?.();
  }
  return summarise(rounds);
}

function warnIfUnclean(phase: string, name: string, round: RoundResult): void {
  if (round.errors > 0 || round.non2xx > 0) log(`WARNING ${name} ${phase}: ${describeRound(round)}`);
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function bearer(session: Session): Record<string, string> {
  return { authorization: `Bearer ${session.accessToken}` };
}

function routeSpecs(sessions: Session[]) {
  const sessionFor = (connection: number) => sessions[connection % sessions.length];
  return {
    jwks: { name: 'GET /.well-known/jwks.json', requestsFor: () => [{ method: 'GET', path: '/.well-known/jwks.json' }] },
    me: {
      name: 'GET /users/me',
      requestsFor: (c) => [{ method: 'GET', path: '/users/me', headers: bearer(sessionFor(c)) }],
    },
    listTodos: {
      name: 'GET /todos?limit=20',
      requestsFor: (c) => [{ method: 'GET', path: '/todos?limit=20', headers: bearer(sessionFor(c)) }],
    },
    createTodo: {
      name: 'POST /todos',
      requestsFor: (c) => [
        {
          method: 'POST',
          path: '/todos',
          headers: { ...bearer(sessionFor(c)), ...JSON_HEADERS },
          body: JSON.stringify({ title: 'Benchmark todo', description: 'created under load', completed: false }),
        },
      ],
    },
    login: {
      name: 'POST /auth/login',
      requestsFor: (c) => [
        {
          method: 'POST',
          path: '/auth/login',
          headers: JSON_HEADERS,
          body: JSON.stringify({ email: sessionFor(c).email, password: sessionFor(c).password }),
        },
      ],
    },
    refresh: {
      name: 'POST /auth/refresh',
      // Each connection owns one session and walks its rotation chain: every request spends the
      // token the previous answer returned. A connection sends its next request only after the
      // answer (pipelining 1), so no token is ever presented twice.
      requestsFor: (c) => {
        const session = sessions[c];
        return [
          {
            method: 'POST',
            path: '/auth/refresh',
            headers: JSON_HEADERS,
            setupRequest: (request) => {
              session.inFlight = true;
              return { ...request, body: JSON.stringify({ refreshToken: session.refreshToken }) };
            },
            onResponse: (status, body) => {
              session.inFlight = false;
              if (status === 200) session.refreshToken = (JSON.parse(body) as { refreshToken: string }).refreshToken;
            },
          },
        ];
      },
    },
  } satisfies Record<string, RouteSpec>;
}

/**
 * Light open-loop probe: one GET /.well-known/jwks.json every 1000/rate ms whether or not the last
 * one has answered, so a stalled event loop shows up as latency instead of as fewer samples.
 */
function startProbe(baseUrl: string, latencies: number[], failures: { errors: number; non2xx: number }): () => Promise<void> {
  const agent = new http.Agent({ keepAlive: true });
  const pending = new Set<Promise<void>>();
  const fire = () => {
    const started = performance.now();
    const done = new Promise<void>((settle) => {
      const request = http.get(`${baseUrl}/.well-known/jwks.json`, { agent }, (response) => {
        response.resume();
        response.on('end', () => {
          latencies.push(performance.now() - started);
          if (response.statusCode === undefined || response.statusCode < 200 || response.statusCode > 299) failures.non2xx++;
          settle();
        });
      });
      request.setTimeout(REQUEST_TIMEOUT_SECONDS * 1000, () => request.destroy(new Error('probe timed out')));
      request.on('error', () => {
        failures.errors++;
        settle();
      });
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  const timer = setInterval(fire, 1000 / PROBE_RATE);
  return async () => {
    clearInterval(timer);
    await Promise.all(pending);
    agent.destroy();
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Raw bcrypt.compare throughput in this process at the server's cost and the login bench's
 * concurrency: the ceiling a login flood can reach on this box (libuv's 4 threads, 2 cores).
 * Counted to the last answer, the compares still queued at the deadline included, because the
 * pool stays saturated until they finish.
 */
async function bcryptCompareRate(): Promise<number> {
  const password = 'bench-password-123';
  const hash = await bcrypt.hash(password, BCRYPT_ROUNDS);
  let completed = 0;
  const started = performance.now();
  const deadline = started + ROUND_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: COMPARE_CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        if (!(await bcrypt.compare(password, hash))) throw new Error('bcrypt.compare returned false');
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

interface Report {
  tokenFormat: TokenFormat;
  routes: Record<string, { rps: number; p50: number; p99: number; errors: number; non2xx: number }>;
  bcryptComparePerSec: number;
  loginEfficiency: number;
  probeP99DuringLoginMs: number;
  peakRssMb: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

function buildReport(routes: Map<string, RouteResult>, extra: Omit<Report, 'routes'>): Report {
  const report: Report = { routes: {}, ...extra };
  for (const [name, result] of routes) {
    report.routes[name] = {
      rps: round1(result.median.rps),
      p50: round2(result.median.p50),
      p99: round2(result.median.p99),
      errors: result.errors,
      non2xx: result.non2xx,
    };
  }
  return report;
}

function printReport(report: Report, probe: { samples: number; errors: number; non2xx: number }): void {
  const lines = [
    `| route | req/s | p50 ms | p99 ms | errors | non-2xx |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...Object.entries(report.routes).map(
      ([name, r]) => `| \`${name}\` | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}\n`);
  console.log(`- TOKEN_FORMAT=${report.tokenFormat}, bcrypt cost ${BCRYPT_ROUNDS}, ${CONNECTIONS} connections, median of ${ROUNDS} rounds (errors/non-2xx summed over all rounds)`);
  console.log(`- raw bcrypt.compare: ${report.bcryptComparePerSec} /s (concurrency ${COMPARE_CONCURRENCY})`);
  console.log(`- login efficiency (login req/s ÷ compare/s): ${report.loginEfficiency}`);
  console.log(
    `- probe p99 during login flood: ${report.probeP99DuringLoginMs} ms (${probe.samples} samples at ${PROBE_RATE}/s, errors ${probe.errors}, non-2xx ${probe.non2xx})`,
  );
  console.log(`- server peak RSS (VmHWM): ${report.peakRssMb} MB\n`);

  const checks: [string, boolean, string][] = [];
  for (const name of ['GET /todos?limit=20', 'GET /users/me', 'POST /auth/refresh'] as const) {
    const rps = report.routes[name]?.rps ?? 0;
    checks.push([`${name} ≥ ${TARGETS[name]} req/s`, rps >= TARGETS[name], `${rps}`]);
  }
  checks.push([`login ≥ ${TARGETS.loginEfficiency * 100}% of compare/s`, report.loginEfficiency >= TARGETS.loginEfficiency, `${report.loginEfficiency}`]);
  checks.push([`probe p99 < ${TARGETS.probeP99DuringLoginMs} ms`, report.probeP99DuringLoginMs < TARGETS.probeP99DuringLoginMs, `${report.probeP99DuringLoginMs}`]);
  checks.push([`peak RSS < ${TARGETS.peakRssMb} MB`, report.peakRssMb < TARGETS.peakRssMb, `${report.peakRssMb}`]);
  for (const [label, ok, actual] of checks) console.log(`${ok ? 'PASS' : 'MISS'}  ${label}  (got ${actual})`);
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const began = performance.now();
  let db: ScratchDatabase | undefined;
  let server: Server | undefined;
  const workDir = await mkdtemp(join(tmpdir(), 'bench-'));
  let succeeded = false;

  let cleaning: Promise<void> | undefined;
  // Idempotent: reached from the finally block and from SIGINT/SIGTERM, whichever comes first.
  const cleanup = () =>
    (cleaning ??= (async () => {
      if (server) await stopServer(server.child).catch((e: unknown) => log(`stopping the server failed: ${String(e)}`));
      if (db) await dropScratchDatabase(db).catch((e: unknown) => log(`dropping ${db?.name} failed: ${String(e)}`));
      // The server log is kept on failure: it is the first thing to read.
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
    log('npm run build');
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);

    db = await createScratchDatabase('bench');
    log(`database ${db.name} on ${db.source}`);
    const keysDir = join(workDir, 'keys');
    await generateMissingKeys(keysDir, TOKEN_FORMAT);
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
    routes.set(
      specs.login.name,
      await benchCounted(baseUrl, specs.login, 1, { duringRound: () => startProbe(baseUrl, probeLatencies, probeFailures) }),
    );

    const peakRss = peakRssMb(server.child.pid!);
    const loginRps = routes.get(specs.login.name)!.median.rps;
    const report = buildReport(routes, {
      tokenFormat: TOKEN_FORMAT,
      bcryptComparePerSec: round1(comparePerSec),
      loginEfficiency: Math.round((loginRps / comparePerSec) * 1000) / 1000,
      probeP99DuringLoginMs: round2(percentile(probeLatencies, 99)),
      peakRssMb: round1(peakRss),
    });

    await cleanup();
    printReport(report, { samples: probeLatencies.length, ...probeFailures });
    await mkdir(dirname(RESULTS_FILE), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify(report, null, 2)}\n`);
    log(`wrote ${RESULTS_FILE}; total ${((performance.now() - began) / 1000).toFixed(0)} s`);

    const failures = [...routes].filter(([, r]) => r.errors > 0 || r.non2xx > 0).map(([name]) => name);
    if (probeFailures.errors > 0 || probeFailures.non2xx > 0) failures.push('probe');
    if (failures.length > 0) {
      console.error(`FAILED: errors or non-2xx responses in measured runs of ${failures.join(', ')}`);
      return 1;
    }
    succeeded = true;
    await rm(workDir, { recursive: true, force: true });
    return 0;
  } catch (error) {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (server) console.error(`server log: ${server.logFile}`);
    return 1;
  } finally {
    await cleanup();
  }
}

process.exitCode = await main();
