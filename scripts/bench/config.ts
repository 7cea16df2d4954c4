/**
 * The benchmark's knobs. Environment: BENCH_BCRYPT_ROUNDS (default 12, the production cost),
 * BENCH_USERS (50), BENCH_DURATION (seconds per measured round, 10), BENCH_ROUNDS (3),
 * BENCH_WARMUP (seconds, 3), BENCH_NODE_ARGS (extra node flags for the server, e.g. --cpu-prof),
 * BENCH_TOKEN_FORMAT (jwt or paseto: the server's TOKEN_FORMAT, default jwt; run once per format).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOKEN_FORMATS, type TokenFormat } from '../../src/auth/tokens/key-files.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS_FILE = join(ROOT, 'bench', 'results.json');

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

export const BCRYPT_ROUNDS = intFromEnv('BENCH_BCRYPT_ROUNDS', 12);
export const USERS = intFromEnv('BENCH_USERS', 50);
export const TODOS_PER_USER = 20;
export const CONNECTIONS = 50;
export const ROUND_SECONDS = intFromEnv('BENCH_DURATION', 10);
export const ROUNDS = intFromEnv('BENCH_ROUNDS', 3);
export const WARMUP_SECONDS = intFromEnv('BENCH_WARMUP', 3);
export const TOKEN_FORMAT = (process.env.BENCH_TOKEN_FORMAT || 'jwt') as TokenFormat;
if (!TOKEN_FORMATS.includes(TOKEN_FORMAT)) throw new Error(`BENCH_TOKEN_FORMAT must be ${TOKEN_FORMATS.join(' or ')}`);
/** Extra node flags for the server, after those of `start:prod`. */
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
