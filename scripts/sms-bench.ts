/**
 * `npm run bench:sms` (issue 10): what the SMS queue costs POST /todos, and how long a message
 * takes to reach the provider under that load. Runs the built server (dist/main.js, run
 * `npm run build` first) against a fresh scratch database and a fake Vonage API, then drives
 * POST /todos with autocannon for a user who is not opted in and one who is, alternating rounds.
 * Delivery latency is the provider's receipt time minus the queue entry's creation time (the todo's
 * transaction), for every message sent during the runs. The machine may be shared: figures are
 * indicative. Knobs: SMS_BENCH_DURATION (seconds per round, 10), SMS_BENCH_ROUNDS (2),
 * SMS_BENCH_CONNECTIONS (10), SMS_BENCH_PROVIDER=log (the queue without the HTTP call to a provider:
 * separates what queuing costs from what sending costs; no delivery latency then).
 */
import autocannon from 'autocannon';
import pg from 'pg';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMissingKeys } from '../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase, freePort } from '../test/support/database.js';
import { FakeVonage } from '../test/support/fake-vonage.js';
import { ROOT } from './root.js';
import { startProdNodeFlags } from './start-prod.js';

const DURATION = Number(process.env.SMS_BENCH_DURATION ?? 10);
const ROUNDS = Number(process.env.SMS_BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.SMS_BENCH_CONNECTIONS ?? 10);
const PROVIDER = process.env.SMS_BENCH_PROVIDER === 'log' ? 'log' : 'vonage';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function json(baseUrl: string, method: string, path: string, body?: object, token?: string) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.json() as Promise<Record<string, unknown>>;
}

async function user(baseUrl: string, n: number, phone?: string): Promise<string> {
  const email = `sms-bench-${n}-${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  await json(baseUrl, 'POST', '/auth/signup', { email, password });
  const { accessToken } = (await json(baseUrl, 'POST', '/auth/login', { email, password })) as { accessToken: string };
  if (phone) await json(baseUrl, 'PATCH', '/users/me', { phoneNumber: phone, smsNotifications: true }, accessToken);
  return accessToken;
}

function load(baseUrl: string, token: string, duration: number) {
  return autocannon({
    url: `${baseUrl}/todos`,
    method: 'POST',
    connections: CONNECTIONS,
    duration,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ title: 'Benchmark todo with a title of ordinary length' }),
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const db = await createScratchDatabase('bench');
  const keysDir = await mkdtemp(join(tmpdir(), 'sms-bench-keys-'));
  const fake = await FakeVonage.start();
  let child: ChildProcess | undefined;
  try {
    await generateMissingKeys(keysDir);
    const port = await freePort();
    const logFile = join(tmpdir(), `sms-bench-${port}.log`);
    const logFd = openSync(logFile, 'a');
    child = spawn(process.execPath, [...startProdNodeFlags(), 'dist/main.js'], {
      cwd: ROOT,
      stdio: ['ignore', logFd, logFd],
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        PORT: String(port),
        NODE_ENV: 'production',
        KEYS_DIR: keysDir,
        LOG_LEVEL: 'warn',
        BCRYPT_ROUNDS: '4',
        AUTH_RATE_LIMIT: '1000000000',
        SMS_PROVIDER: PROVIDER,
        VONAGE_API_KEY: 'bench',
        VONAGE_API_SECRET: 'bench',
        VONAGE_FROM: 'TodoApi',
        VONAGE_API_URL: fake.url,
      },
    });
    closeSync(logFd);
    const baseUrl = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`server exited; see ${logFile}`);
      if (
        await fetch(`${baseUrl}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 240) throw new Error(`server did not start; see ${logFile}`);
      await sleep(250);
    }

    const plain = await user(baseUrl, 1);
    const optedIn = await user(baseUrl, 2, '+14155550100');
    await load(baseUrl, plain, 3);
    await load(baseUrl, optedIn, 3);

    const results: Record<'not opted in' | 'opted in', { rps: number[]; p50: number[]; p99: number[]; errors: number }> = {
      'not opted in': { rps: [], p50: [], p99: [], errors: 0 },
      'opted in': { rps: [], p50: [], p99: [], errors: 0 },
    };
    const started = new Date();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, token] of [
        ['not opted in', plain],
        ['opted in', optedIn],
      ] as const) {
        const r = await load(baseUrl, token, DURATION);
        results[label].rps.push(r.requests.average);
        results[label].p50.push(r.latency.p50);
        results[label].p99.push(r.latency.p99);
        results[label].errors += r.errors + r.non2xx;
      }
    }

    // Every message queued during the measured rounds, and when the provider got it.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const pending = async () =>
        Number(
          (await client.query<{ count: string }>(`SELECT count(*) FROM pgboss.job WHERE name = 'sms' AND state <> 'completed'`)).rows[0]
            .count,
        );
      for (let i = 0; (await pending()) > 0 && i < 600; i++) await sleep(100);
      const { rows } = await client.query<{ id: string; created: string }>(
        `SELECT id, extract(epoch FROM created_on) * 1000 AS created FROM pgboss.job WHERE name = 'sms' AND created_on >= $1`,
        [started],
      );
      const received = new Map<string, number[]>();
      for (const r of fake.requests) {
        const ref = (r.body as { client_ref: string }).client_ref;
        received.set(ref, [...(received.get(ref) ?? []), r.at]);
      }
      const latencies = rows.flatMap((row) => {
        const at = received.get(row.id)?.[0];
        return at === undefined ? [] : [at - Number(row.created)];
      });
      latencies.sort((a, b) => a - b);
      const duplicates = [...received.values()].filter((times) => times.length > 1).length;

      console.log(`\nPOST /todos, ${CONNECTIONS} connections, ${ROUNDS} × ${DURATION} s per case (indicative: shared machine)\n`);
      console.log('| user | req/s per round | p50 ms | p99 ms | errors |\n|---|---|---|---|---|');
      for (const [label, r] of Object.entries(results)) {
        console.log(
          `| ${label} | ${r.rps.map((x) => x.toFixed(0)).join(', ')} | ${r.p50.join(', ')} | ${r.p99.join(', ')} | ${r.errors} |`,
        );
      }
      if (PROVIDER === 'log') {
        console.log(`\n${rows.length} messages queued and handed to the log provider (LOG_LEVEL=warn: not written)`);
        return;
      }
      console.log(
        `\nDelivery (todo's transaction → fake Vonage received), ${latencies.length} messages, ${rows.length - latencies.length} never sent, ${duplicates} sent twice: ` +
          `p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, ` +
          `p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`,
      );
    } finally {
      await client.end();
    }
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await fake.stop();
    await rm(keysDir, { recursive: true, force: true });
    await dropScratchDatabase(db);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
