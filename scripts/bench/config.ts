/**
 * The benchmark's knobs. Environment: BENCH_BCRYPT_ROUNDS (default 12, the production cost),
 * BENCH_USERS (50), BENCH_DURATION (seconds per measured round, 10; 5 with --quick), BENCH_ROUNDS (3),
 * BENCH_WARMUP (seconds, 20), BENCH_NODE_ARGS (extra node flags for the service, never
 * the ceiling, e.g. --cpu-prof), BENCH_TOKEN_FORMAT (jwt or paseto: the service's TOKEN_FORMAT,
 * default jwt; run once per format; the ceiling always checks RS256 JWTs),
 * BENCH_CEILING_DIR (the speed ceiling, default ../shared/perf-limit).
 *
 * `--quick` runs only the side-by-side comparison with the ceiling, in short rounds.
 */
import { join } from 'node:path';
import { TOKEN_FORMATS, type TokenFormat } from '../../src/auth/tokens/key-files.js';
import { parseWholeNumber } from '../../src/common/whole-number.js';
import { ROOT } from '../root.js';

export { ROOT };
export const RESULTS_FILE = join(ROOT, 'bench', 'results.json');

const FLAGS = ['--quick'];
const unknown = process.argv.slice(2).filter((arg) => !FLAGS.includes(arg));
if (unknown.length > 0) throw new Error(`unknown argument(s) ${unknown.join(' ')}; the bench accepts ${FLAGS.join(', ')}`);
/** Only the comparison with the ceiling, in short rounds: the development loop. */
export const QUICK = process.argv.includes('--quick');

/** The ceiling (issue 13): beside the project in CI's clone, read-only. */
export const CEILING_DIR = process.env.BENCH_CEILING_DIR || join(ROOT, '..', 'shared', 'perf-limit');
/** Its server is copied here (git-ignored) so that `fastify` and `pg` resolve from this project's node_modules. */
export const CEILING_COPY_DIR = join(ROOT, 'bench', '.ceiling');

export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = parseWholeNumber(raw);
  if (value === undefined || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

export const BCRYPT_ROUNDS = intFromEnv('BENCH_BCRYPT_ROUNDS', 12);
export const USERS = intFromEnv('BENCH_USERS', 50);
export const TODOS_PER_USER = 20;
export const CONNECTIONS = 50;
export const ROUND_SECONDS = intFromEnv('BENCH_DURATION', QUICK ? 5 : 10);
export const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
/**
 * Long enough for the steady state. From a cold start at 50 connections, pinned to one core, the
 * service's GET /users/me climbs for ~15–20 s while V8 tiers its code up (5 s slices, 3 Dec:
 * 2,093 → 3,582 → 4,213 → 4,698 req/s, then 4,450–5,500); the ceiling, far less code, is warm after
 * ~1 s. With the earlier 6 s, round 1 measured the compiler: it was the lowest round of GET /users/me
 * in four of five runs (0.54 against 0.70 and 1.02 in one).
 */
export const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP', 20);
export const TOKEN_FORMAT = (process.env.BENCH_TOKEN_FORMAT || 'jwt') as TokenFormat;
if (!TOKEN_FORMATS.includes(TOKEN_FORMAT)) throw new Error(`BENCH_TOKEN_FORMAT must be ${TOKEN_FORMATS.join(' or ')}`);
/** Extra node flags for the service (not the ceiling), after those of `start:prod`. */
export const SERVER_NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Seeding signs up and logs in this many users at once: each costs a bcrypt hash or compare. */
export const SEED_CONCURRENCY = 4;
export const TODO_SEED_CONCURRENCY = 16;
export const PROBE_RATE = 50;
export const COMPARE_CONCURRENCY = CONNECTIONS;
/**
 * A login waits behind up to 49 others for a 4-thread bcrypt pool on 2 cores (~5 s at cost 12);
 * autocannon's default 10 s timeout would reconnect and resend, which for a refresh chain would
 * replay a spent token and revoke the session.
 */
export const REQUEST_TIMEOUT_SECONDS = 60;

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}
