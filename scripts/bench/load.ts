/**
 * The load: autocannon runs against one route at a time (time-boxed, or a fixed number of
 * requests per connection), the routes' requests, an open-loop latency probe, and the raw
 * bcrypt.compare rate that bounds a login flood.
 */
import autocannon from 'autocannon';
import bcrypt from 'bcrypt';
import http from 'node:http';
import {
  BCRYPT_ROUNDS,
  COMPARE_CONCURRENCY,
  CONNECTIONS,
  log,
  PROBE_RATE,
  REQUEST_TIMEOUT_SECONDS,
  ROUND_SECONDS,
  ROUNDS,
  WARMUP_SECONDS,
} from './config.js';
import type { Session } from './seed.js';

export interface RoundResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
}

export interface RouteResult {
  /** The median round by req/s. */
  median: RoundResult;
  rounds: RoundResult[];
  /** Summed over every measured round, so a failure in a non-median round is not hidden. */
  errors: number;
  non2xx: number;
}

export interface RouteSpec {
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
export async function runOnce(baseUrl: string, spec: RouteSpec, options: { seconds?: number; perConnection?: number }): Promise<RoundResult> {
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

export function describeRound(round: RoundResult): string {
  const codes = Object.entries(round.statusCodes).map(([code, count]) => `${code}×${count}`).join(' ');
  return `${round.rps.toFixed(1)} req/s, p50 ${round.p50} ms, p99 ${round.p99} ms, errors ${round.errors}, statuses ${codes || 'none'}`;
}

/** The middle value; for an even count, the mean of the two middle ones. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(middle)] : (sorted[middle - 1] + sorted[middle]) / 2;
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
export async function benchTimed(baseUrl: string, spec: RouteSpec): Promise<RouteResult> {
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
export async function benchCounted(
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

export function routeSpecs(sessions: Session[]) {
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
export function startProbe(baseUrl: string, latencies: number[], failures: { errors: number; non2xx: number }): () => Promise<void> {
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

/**
 * Raw bcrypt.compare throughput in this process at the server's cost and the login bench's
 * concurrency: the ceiling a login flood can reach on this box (libuv's 4 threads, 2 cores).
 * Counted to the last answer, the compares still queued at the deadline included, because the
 * pool stays saturated until they finish.
 */
export async function bcryptCompareRate(): Promise<number> {
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
