/**
 * `npm run bench:bcrypt-fairness` (issue 21): the login of an honest user while another user
 * floods POST /users/me/password with wrong passwords, on the production entry point (dist/main.js)
 * at bcrypt cost BENCH_BCRYPT_ROUNDS (12).
 *
 * 1. Baseline: the honest user logs in BENCH_LOGINS times in a row on an idle server.
 * 2. Flood: the same, while BENCH_FLOOD_CONNECTIONS (40) loops, all with the flooder's access
 *    token, send wrong password changes as fast as they are answered.
 * 3. For scale: the same flood spread over as many users, one loop each. Each has its one check in
 *    flight, so this is what one user's flood costs an honest login when nothing stops it running
 *    every check (the behaviour before issue 21), except that the queue bound turns the worst of it into 503s.
 *
 * The per-user failure limit (PASSWORD_CHECK_LIMIT) is raised for the run: with it at its default
 * the flood is refused after 5 guesses and costs nothing, which says nothing about the queue. What
 * keeps the honest login fast here is one check in flight per user and the bounded queue.
 * Prints p50/p99/max of the honest logins in each phase and the flood's answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMissingKeys } from '../../src/auth/tokens/key-files.js';
import { createScratchDatabase, dropScratchDatabase } from '../../test/support/database.js';
import { BCRYPT_ROUNDS, intFromEnv, log, TOKEN_FORMAT } from './config.js';
import { percentile } from './report.js';
import { Resources } from './resources.js';
import { buildService, startServer, stopServer, type Server } from './server.js';

const LOGINS = intFromEnv('BENCH_LOGINS', 40);
const FLOOD_CONNECTIONS = intFromEnv('BENCH_FLOOD_CONNECTIONS', 40);
const PASSWORD = 'correct horse battery';

async function post(baseUrl: string, path: string, body: object, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** `loops` loops sending wrong password changes, loop n with tokens[n % tokens.length], until `stop()`; the answers by status. */
function flood(baseUrl: string, tokens: string[], loops: number): { stop: () => Promise<Map<number, number>> } {
  const answers = new Map<number, number>();
  let flooding = true;
  const running = Array.from({ length: loops }, async (_, n) => {
    while (flooding) {
      const { status } = await post(baseUrl, '/users/me/password', { currentPassword: `wrong guess ${n}`, newPassword: 'a new password' }, tokens[n % tokens.length]);
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }
  });
  return {
    stop: async () => {
      flooding = false;
      await Promise.all(running);
      return answers;
    },
  };
}

const describeAnswers = (answers: Map<number, number>) =>
  [...answers.entries()].sort(([a], [b]) => a - b).map(([status, count]) => `${count} × ${status}`).join(', ');

async function account(baseUrl: string, name: string): Promise<{ email: string; accessToken: string }> {
  const email = `${name}-${Date.now()}@example.com`;
  if ((await post(baseUrl, '/auth/signup', { email, password: PASSWORD })).status !== 201) throw new Error(`signup of ${name} failed`);
  const login = await post(baseUrl, '/auth/login', { email, password: PASSWORD });
  if (login.status !== 200) throw new Error(`login of ${name} failed: ${login.status}`);
  return { email, accessToken: login.json.accessToken as string };
}

/**
 * LOGINS logins of `email`, one after the other: each one's latency in ms. With `busyIsAnswer`, a
 * 503 (the bcrypt queue full) is an answer too: the client is told at once to retry.
 */
async function honestLogins(baseUrl: string, email: string, busyIsAnswer = false): Promise<{ latencies: number[]; busy: number }> {
  const latencies: number[] = [];
  let busy = 0;
  for (let i = 0; i < LOGINS; i++) {
    const started = performance.now();
    const { status } = await post(baseUrl, '/auth/login', { email, password: PASSWORD });
    if (status === 503 && busyIsAnswer) busy++;
    else if (status !== 200) throw new Error(`an honest login answered ${status}`);
    else latencies.push(performance.now() - started);
  }
  return { latencies, busy };
}

function summary({ latencies, busy }: { latencies: number[]; busy: number }): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const f = (ms: number) => `${Math.round(ms)} ms`;
  const refused = busy > 0 ? `; ${busy} more answered 503 at once (queue full)` : '';
  return `p50 ${f(percentile(sorted, 50))}, p99 ${f(percentile(sorted, 99))}, max ${f(sorted.at(-1) ?? 0)} (${sorted.length} logins answered 200${refused})`;
}

async function main(): Promise<void> {
  const resources = new Resources();
  const workDir = await mkdtemp(join(tmpdir(), 'bench-bcrypt-'));
  let server: Server | undefined;
  try {
    buildService();
    const keysDir = join(workDir, 'keys');
    await generateMissingKeys(keysDir, TOKEN_FORMAT);
    const db = await createScratchDatabase('bench');
    resources.hold(`database ${db.name}`, () => dropScratchDatabase(db));
    server = await startServer(db.url, keysDir, join(workDir, 'server.log'), {
      env: { PASSWORD_CHECK_LIMIT: '1000000', LOGIN_ACCOUNT_LIMIT: '1000000', TODO_RATE_LIMIT: '1000000' },
    });
    resources.hold('the service', async () => {
      if (server) await stopServer(server.child);
    });
    const { baseUrl } = server;
    log(`server on ${baseUrl}, bcrypt cost ${BCRYPT_ROUNDS}, log ${server.logFile}`);

    const honest = await account(baseUrl, 'honest');
    const flooder = await account(baseUrl, 'flooder');

    log(`baseline: ${LOGINS} honest logins on an idle server`);
    const baseline = await honestLogins(baseUrl, honest.email);

    log(`flood: ${FLOOD_CONNECTIONS} loops of wrong password changes by one user, while the honest user logs in ${LOGINS} times`);
    const oneUser = flood(baseUrl, [flooder.accessToken], FLOOD_CONNECTIONS);
    // Let the flood reach its steady state before measuring.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const underFlood = await honestLogins(baseUrl, honest.email);
    const oneUserAnswers = await oneUser.stop();

    log(`the same flood spread over ${FLOOD_CONNECTIONS} users, one loop each`);
    const many = await Promise.all(Array.from({ length: FLOOD_CONNECTIONS }, (_, n) => account(baseUrl, `flooder-${n}`)));
    const manyUsers = flood(baseUrl, many.map((user) => user.accessToken), FLOOD_CONNECTIONS);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const underManyFloods = await honestLogins(baseUrl, honest.email, true);
    const manyAnswers = await manyUsers.stop();

    console.log('\n### bcrypt fairness: an honest login while one user floods the password-change route\n');
    console.log(`bcrypt cost ${BCRYPT_ROUNDS}; ${FLOOD_CONNECTIONS} flooding connections; shared 2-core machine, other work running: figures are noisy\n`);
    console.log(`| phase | honest login | flood answers |\n|---|---|---|`);
    console.log(`| idle | ${summary(baseline)} | — |`);
    console.log(`| one user floods | ${summary(underFlood)} | ${describeAnswers(oneUserAnswers)} |`);
    console.log(`| ${FLOOD_CONNECTIONS} users flood, one check each | ${summary(underManyFloods)} | ${describeAnswers(manyAnswers)} |`);
  } finally {
    await resources.releaseAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
