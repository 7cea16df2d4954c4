/**
 * `npm run bench:scale` (issue 26): does the cost of a request stay flat as the data grows?
 *
 * Starts the production build on a scratch database, measures the hot routes on the empty database,
 * seeds it with SQL (generate_series, never the API) and measures them again; then GET /todos at
 * depth (keyset cursor against OFFSET), the database's CPU per request beside the service's,
 * what the in-process caches (SessionStateCache, VerifiedTokens) cost in memory when full,
 * DELETE /users/me of the user with the most todos, and a retention run over the expired sessions
 * while GET /users/me is probed.
 *
 * Sizes are flags; the defaults are the issue's:
 *   --users=1000000 --todos=10000000 --big-user-todos=100000 --expired-sessions=10000000
 *   --seconds=5 (per measured route) --concurrency=8 --bcrypt-rounds=10 --retention-batch=1000
 *   --cache-fill=100000 (distinct sessions' access tokens sent once each to a second server; 0 skips)
 * e.g. `npm run bench:scale -- --users=100000 --todos=1000000 --expired-sessions=1000000` on a
 * small machine. Every live user also has one live session. Prints Markdown and writes
 * bench/scale-results.json.
 */
import { JwtService } from '@nestjs/jwt';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { PgBoss } from 'pg-boss';

const DEFAULTS = {
  users: 1_000_000,
  todos: 10_000_000,
  'big-user-todos': 100_000,
  'expired-sessions': 10_000_000,
  seconds: 5,
  concurrency: 8,
  'bcrypt-rounds': 10,
  'retention-batch': 1000,
  'cache-fill': 100_000,
};
type Size = Record<keyof typeof DEFAULTS, number>;
/** SessionStateCache's MAX_ENTRIES, and the most ACCESS_TOKEN_CACHE_SIZE allows. */
const CACHE_BOUND = 100_000;

function parseFlags(argv: string[]): Size {
  const size = { ...DEFAULTS };
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(\d+)$/.exec(arg);
    if (!match || !(match[1] in DEFAULTS)) {
      throw new Error(`unknown argument ${arg}; takes ${Object.keys(DEFAULTS).map((k) => `--${k}=N`).join(' ')}`);
    }
    size[match[1] as keyof Size] = Number(match[2]);
  }
  if (size['big-user-todos'] > size.todos) throw new Error('--big-user-todos cannot exceed --todos');
  if (size['cache-fill'] > CACHE_BOUND) throw new Error(`--cache-fill cannot exceed the caches' bound, ${CACHE_BOUND}`);
  if (size['cache-fill'] > size.users) throw new Error('--cache-fill cannot exceed --users: each token is of a distinct seeded session');
  return size;
}

// config.ts (through server.ts) refuses flags it does not know: this script's are taken off first.
const SIZE = parseFlags(process.argv.slice(2));
process.argv.splice(2);
const { buildService, peakRssMb, rssMb, sessionTableReads, startServer, stopServer } = await import('./server.js');
const { choosePinning, pinThisProcess } = await import('./pinning.js');
const { createScratchDatabase, dropScratchDatabase } = await import('../../test/support/database.js');
const { generateMissingKeys } = await import('../../src/auth/tokens/key-files.js');
const { KeyStore } = await import('../../src/auth/tokens/key-store.js');
const { JwtMaker } = await import('../../src/auth/tokens/jwt.maker.js');
const { JwtOptions } = await import('../../src/auth/tokens/jwt.options.js');
const { validateEnvironment } = await import('../../src/config/environment.js');
const { PageCursors } = await import('../../src/common/page-cursor.js');
const { ROOT, log, sleep } = await import('./config.js');
const { cpuSeconds } = await import('./compare.js');
const { median } = await import('./load.js');

const PASSWORD = 'correct horse battery';

interface Latencies {
  count: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
}

function summarise(samples: number[], errors: number, seconds: number): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { count: samples.length, errors, p50: r(at(0.5)), p99: r(at(0.99)), max: r(sorted.at(-1) ?? NaN), perSecond: r(samples.length / seconds) };
}

/** `concurrency` loops sending `request(i)` for `seconds`; latency in ms of each answer `ok` accepts. */
async function drive(
  seconds: number,
  concurrency: number,
  request: (worker: number, i: number) => Promise<Response>,
  ok = (status: number) => status >= 200 && status < 300,
  samples: number[] = [],
): Promise<Latencies> {
  const start = samples.length;
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        try {
          const response = await request(worker, i);
          await response.arrayBuffer();
          if (ok(response.status)) samples.push(performance.now() - t0);
          else errors++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarise(samples.slice(start), errors, (performance.now() - started) / 1000);
}

/** CPU µs of a process so far; 0 once it has ended: its CPU is lost to the count, which only makes the figure smaller. */
const cpuUs = (pid: number): number => (cpuSeconds(pid) ?? 0) * 1e6;

/** CPU of the service and of every Postgres backend on the database while `work` runs. */
async function withCpu<T>(admin: pg.Client, database: string, serverPid: number, work: () => Promise<T>) {
  const backends = async () =>
    (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])).rows.map(
      (r) => r.pid,
    );
  const pids = await backends();
  const before = new Map(pids.map((pid) => [pid, cpuUs(pid)]));
  const server0 = cpuUs(serverPid);
  const result = await work();
  let db = 0;
  for (const pid of new Set([...pids, ...(await backends())])) db += cpuUs(pid) - (before.get(pid) ?? 0);
  return { result, serviceUs: cpuUs(serverPid) - server0, dbUs: db };
}

async function main() {
  const started = performance.now();
  log(`sizes: ${JSON.stringify(SIZE)}`);
  if (process.env.BENCH_SKIP_BUILD !== '1') buildService();
  const pinning = choosePinning();
  const keysDir = await mkdtemp(join(tmpdir(), 'scale-keys-'));
  await generateMissingKeys(keysDir, 'jwt');
  const db = await createScratchDatabase('bench');
  const admin = new pg.Client({ connectionString: db.url });
  const logFile = join(await mkdtemp(join(tmpdir(), 'scale-log-')), 'server.log');
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  const results: Record<string, unknown> = { size: SIZE, pinned: 'unpinned' in pinning ? `no: ${pinning.unpinned}` : `server on CPU ${pinning.serverCpu}, load on ${pinning.loadCpu}` };
  try {
    const serverEnv = { BCRYPT_ROUNDS: String(SIZE['bcrypt-rounds']), RETENTION_BATCH_SIZE: String(SIZE['retention-batch']), RETENTION_CRON: '0 0 1 1 *' };
    const serverCpu = 'unpinned' in pinning ? {} : { cpu: pinning.serverCpu };
    server = await startServer(db.url, keysDir, logFile, { ...serverCpu, env: serverEnv });
    if (!('unpinned' in pinning)) pinThisProcess(String(pinning.loadCpu));
    const base = server.baseUrl;
    const serverPid = server.child.pid!;
    await admin.connect();
    log(`database ${db.name}, server pid ${serverPid}, log ${logFile}`);

    const post = (path: string, body: object, headers: Record<string, string> = {}) =>
      fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const get = (path: string, token: string) => fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
    const login = async (email: string) => {
      const response = await post('/auth/login', { email, password: PASSWORD });
      if (response.status !== 200) throw new Error(`login ${email}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { accessToken: string; refreshToken: string };
    };

    /** The routes whose cost must not grow with the data: signup, login, refresh, GET /users/me, GET /todos. */
    const hotRoutes = async (label: string, loginEmails: string[]) => {
      const seconds = SIZE.seconds;
      const c = SIZE.concurrency;
      const tag = `${label}-${Date.now()}`;
      const signup = await drive(seconds, Math.min(c, 4), (w, i) => post('/auth/signup', { email: `${tag}-${w}-${i}@example.com`, password: PASSWORD }));
      const loginLat = await drive(seconds, Math.min(c, 4), (w, i) => post('/auth/login', { email: loginEmails[(w * 7919 + i) % loginEmails.length], password: PASSWORD }));
      const chains = await Promise.all(Array.from({ length: c }, (_, w) => login(loginEmails[w % loginEmails.length])));
      const refresh = await drive(seconds, c, async (w) => {
        const response = await post('/auth/refresh', { refreshToken: chains[w].refreshToken });
        if (response.status === 200) {
          const pair = (await response.clone().json()) as { refreshToken: string };
          chains[w].refreshToken = pair.refreshToken;
        }
        return response;
      });
      const token = chains[0].accessToken;
      const me = await withCpu(admin, db.name, serverPid, () => drive(seconds, c, () => get('/users/me', token)));
      return { signup, login: loginLat, refresh, me: me.result, meCpu: perRequest(me) };
    };
    const perRequest = (m: { result: Latencies; serviceUs: number; dbUs: number }) => ({
      serviceUs: Math.round(m.serviceUs / Math.max(1, m.result.count)),
      postgresUs: Math.round(m.dbUs / Math.max(1, m.result.count)),
    });

    // --- the empty database (a handful of users) ---------------------------------------------
    const hash = await bcrypt.hash(PASSWORD, SIZE['bcrypt-rounds']);
    await admin.query(
      `INSERT INTO users (email, password_hash, token_hash)
       SELECT 'empty-' || g || '@example.com', $1, md5(random()::text) || md5(random()::text) FROM generate_series(1, 20) g`,
      [hash],
    );
    const emptyEmails = Array.from({ length: 20 }, (_, i) => `empty-${i + 1}@example.com`);
    log('measuring on the empty database');
    results.empty = await hotRoutes('empty', emptyEmails);

    // --- seeding -----------------------------------------------------------------------------
    const t0 = performance.now();
    const step = async (what: string, sql: string, params: unknown[] = []) => {
      const s = performance.now();
      await admin.query(sql, params);
      log(`seed: ${what} in ${((performance.now() - s) / 1000).toFixed(1)} s`);
    };
    // Bulk loading under the secondary indexes and the foreign keys of todos and sessions costs a
    // random index insert and a users_pkey probe per row; dropped here and rebuilt after the loads
    // (a sort per index, one anti-join per FK). Their definitions come from the catalog, so what is
    // rebuilt is whatever the migrations made. Primary keys stay.
    const bulk = ['todos', 'sessions'];
    const catalog = async () => ({
      secondaryIndexes: (
        await admin.query<{ name: string; qualified: string; def: string }>(
          `SELECT i.indexname AS name, format('%I.%I', i.schemaname, i.indexname) AS qualified, i.indexdef AS def FROM pg_indexes i
           WHERE i.schemaname = current_schema() AND i.tablename = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass AND c.contype IN ('p', 'u', 'x'))
           ORDER BY i.tablename, i.indexname`,
          [bulk],
        )
      ).rows,
      // Unique and exclusion constraints before the foreign keys, which may lean on them.
      constraints: (
        await admin.query<{ tbl: string; name: string; def: string }>(
          `SELECT conrelid::regclass::text AS tbl, conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
           WHERE conrelid = ANY($1::text[]::regclass[]) AND contype IN ('f', 'u', 'x')
           ORDER BY contype = 'f', conrelid::regclass::text, conname`,
          [bulk],
        )
      ).rows,
    });
    const migrated = await catalog();
    const { secondaryIndexes, constraints } = migrated;
    const ident = (name: string) => `"${name.replaceAll('"', '""')}"`; // regclass::text comes quoted already
    log(`seed: dropping ${secondaryIndexes.map((i) => i.name).join(', ')}; ${constraints.map((c) => c.name).join(', ')}`);
    await step('SET maintenance_work_mem', `SET maintenance_work_mem = '1GB'`);
    await step(
      'drop secondary indexes and constraints',
      [
        ...[...constraints].reverse().map((c) => `ALTER TABLE ${c.tbl} DROP CONSTRAINT ${ident(c.name)};`),
        ...secondaryIndexes.map((i) => `DROP INDEX ${i.qualified};`),
      ].join('\n'),
    );
    await step(
      `${SIZE.users} users`,
      `INSERT INTO users (id, email, password_hash, token_hash)
       SELECT gen_random_uuid(), 'scale-' || g || '@example.com', $1, md5(g::text || random()::text) || md5(random()::text)
       FROM generate_series(1, $2::int) g`,
      [hash, SIZE.users],
    );
    await step(
      'user numbering',
      `CREATE UNLOGGED TABLE scale_users AS SELECT (row_number() OVER ())::int AS n, id FROM users WHERE email LIKE 'scale-%';
       CREATE UNIQUE INDEX ON scale_users (n)`,
    );
    await step(
      `${SIZE.users} live sessions`,
      `INSERT INTO sessions (id, user_id, refresh_jti, expires_at, created_at, last_used_at)
       SELECT gen_random_uuid(), id, gen_random_uuid(), now() + interval '7 days', now(), now() FROM scale_users ORDER BY 1`,
    );
    // User 1 holds big-user-todos; the rest are spread over the others.
    // The big loads insert in primary-key order (`ORDER BY 1`, the same gen_random_uuid() ids, sorted
    // first): random uuids into a B-tree touch a random leaf per row, sorted ones walk it left to right,
    // about twice as fast even with the sort (4,000,000 todos and 4,000,000 expired sessions: 66 s
    // against 28-32 s, the indexes and foreign keys dropped in both). The big user's
    // todos keep their created_at order in the heap, and users theirs (scale_users numbers them so).
    const rest = SIZE.todos - SIZE['big-user-todos'];
    await step(
      `${SIZE['big-user-todos']} todos of one user`,
      `INSERT INTO todos (user_id, title, completed, created_at, updated_at)
       SELECT (SELECT id FROM scale_users WHERE n = 1), 'todo ' || g, g % 3 = 0, now() - g * interval '1 second', now() - g * interval '1 second'
       FROM generate_series(1, $1::int) g`,
      [SIZE['big-user-todos']],
    );
    await step(
      `${rest} todos of the others`,
      `INSERT INTO todos (id, user_id, title, completed, created_at, updated_at)
       SELECT gen_random_uuid(), u.id, 'todo ' || g, g % 3 = 0, now() - (g % 100000) * interval '1 minute', now()
       FROM generate_series(1, $1::int) g JOIN scale_users u ON u.n = 2 + g % greatest($2::int - 1, 1) ORDER BY 1`,
      [rest, SIZE.users],
    );
    await step(
      `${SIZE['expired-sessions']} sessions expired 40 days ago`,
      `INSERT INTO sessions (id, user_id, refresh_jti, created_at, last_used_at, expires_at)
       SELECT gen_random_uuid(), u.id, gen_random_uuid(), now() - interval '47 days', now() - interval '47 days', now() - interval '40 days'
       FROM generate_series(1, $1::int) g JOIN scale_users u ON u.n = 1 + g % $2::int ORDER BY 1`,
      [SIZE['expired-sessions'], SIZE.users],
    );
    for (const index of secondaryIndexes) await step(`create ${index.name}`, index.def);
    for (const c of constraints) await step(`add ${c.name}`, `ALTER TABLE ${c.tbl} ADD CONSTRAINT ${ident(c.name)} ${c.def}`);
    await step('RESET maintenance_work_mem', 'RESET maintenance_work_mem');
    if (JSON.stringify(await catalog()) !== JSON.stringify(migrated)) throw new Error('the rebuilt indexes and constraints differ from the migrated ones');
    for (const table of ['users', 'sessions', 'todos']) await step(`VACUUM ANALYZE ${table}`, `VACUUM ANALYZE ${table}`);
    results.seedSeconds = Math.round((performance.now() - t0) / 1000);
    const counts = (
      await admin.query<Record<'users' | 'sessions' | 'todos', string>>(`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM sessions) AS sessions, (SELECT count(*) FROM todos) AS todos`)
    ).rows[0];
    results.counts = counts;
    log(`seeded in ${String(results.seedSeconds)} s: ${JSON.stringify(counts)}`);

    // --- the seeded database -------------------------------------------------------------------
    const seededEmails = Array.from({ length: 20 }, (_, i) => `scale-${1 + Math.floor(((i + 1) * SIZE.users) / 21)}@example.com`);
    log('measuring on the seeded database');
    results.seeded = await hotRoutes('seeded', seededEmails);

    // GET /todos of the user with big-user-todos: first page, deepest cursor page, page 100 (OFFSET).
    const big = await login('scale-1@example.com');
    const bigId = (await admin.query<{ id: string }>(`SELECT id FROM scale_users WHERE n = 1`)).rows[0].id;
    const cursors = new PageCursors((await KeyStore.load({ KEYS_DIR: keysDir, NODE_ENV: 'production', TOKEN_FORMAT: 'jwt' })).derive('todos-page-cursor'));
    const depthPage = Math.floor(SIZE['big-user-todos'] / 20);
    const deep = (
      await admin.query<{ at: string; id: string }>(
        `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, id FROM todos
         WHERE user_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
        [bigId, (depthPage - 1) * 20 - 1],
      )
    ).rows[0];
    const deepCursor = cursors.seal(bigId, ['all', deep.at, deep.id]);
    const check = await get(`/todos?limit=20&cursor=${deepCursor}`, big.accessToken);
    if (check.status !== 200) throw new Error(`the deep cursor was refused: ${check.status} ${await check.text()}`);
    const todos: Record<string, unknown> = {};
    for (const [name, path] of [
      ['first page (cursor)', '/todos?limit=20&cursor='],
      [`page ${depthPage} (cursor)`, `/todos?limit=20&cursor=${deepCursor}`],
      ['page 1 (numbered, with total)', '/todos?limit=20&page=1'],
      ['page 100 (numbered, OFFSET 1980)', '/todos?limit=20&page=100'],
    ] as const) {
      const m = await withCpu(admin, db.name, serverPid, () => drive(SIZE.seconds, SIZE.concurrency, () => get(path, big.accessToken)));
      todos[name] = { ...m.result, ...perRequest(m) };
      log(`GET ${path.slice(0, 60)}: ${JSON.stringify(todos[name])}`);
    }
    results.todos = todos;

    // The statements themselves at depth, on one connection: keyset against the OFFSET it replaces,
    // and Postgres shaping the JSON (json_build_object, before issue 26) against plain columns.
    results.statements = await statementCosts(admin, db.url, bigId, depthPage);

    // --- the in-process caches filled to their bound, on a server of their own ------------------
    if (SIZE['cache-fill'] > 0) {
      const cacheLog = join(dirname(logFile), 'cache-server.log');
      results.cacheMemory = await cacheMemory(admin, db.url, keysDir, cacheLog, { ...serverCpu, env: serverEnv });
    } else {
      results.cacheMemory = 'skipped (--cache-fill=0)';
    }

    // --- retention over the expired sessions, GET /users/me probed meanwhile --------------------
    const probeToken = (await login(seededEmails[3])).accessToken;
    const probe = (seconds: number, samples?: number[]) => drive(seconds, 2, () => get('/users/me', probeToken), undefined, samples);
    const idleProbe = await probe(Math.max(5, SIZE.seconds));
    const boss = new PgBoss({ connectionString: db.url, schema: 'pgboss', supervise: false, schedule: false, migrate: false, max: 1 });
    boss.on('error', () => undefined);
    await boss.start();
    const jobId = await boss.send('retention', {});
    const retentionStart = performance.now();
    const duringSamples: Latencies[] = [];
    const during: number[] = [];
    let state = 'created';
    while (!['completed', 'failed'].includes(state)) {
      duringSamples.push(await probe(2, during));
      state = (await admin.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [jobId])).rows[0]?.state ?? 'gone';
      if (performance.now() - retentionStart > 3_600_000) throw new Error('retention ran over an hour');
    }
    const retentionSeconds = (performance.now() - retentionStart) / 1000;
    await boss.stop({ graceful: false });
    const line = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"Retention"') || l.includes('removed sessions=')).at(-1);
    results.retention = {
      state,
      seconds: Math.round(retentionSeconds * 10) / 10,
      logLine: line ? (JSON.parse(line) as { msg: string }).msg : null,
      meProbeIdle: idleProbe,
      meProbeDuring: summarise(during, duringSamples.reduce((n, s) => n + s.errors, 0), retentionSeconds),
      meProbeP99By2sSlice: duringSamples.map((s) => s.p99),
    };
    log(`retention: ${JSON.stringify(results.retention)}`);

    // --- DELETE /users/me of the user with big-user-todos, GET /users/me probed meanwhile -------
    const probeDuring: number[] = [];
    let deleting = true;
    const prober = (async () => {
      while (deleting) {
        const s = performance.now();
        await (await get('/users/me', probeToken)).arrayBuffer();
        probeDuring.push(performance.now() - s);
      }
    })();
    const d0 = performance.now();
    const deleted = await fetch(`${base}/users/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${big.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    const deleteMs = performance.now() - d0;
    deleting = false;
    await prober;
    results.deleteBigUser = { status: deleted.status, ms: Math.round(deleteMs), meProbeDuring: summarise(probeDuring, 0, deleteMs / 1000) };
    log(`DELETE /users/me (${SIZE['big-user-todos']} todos): ${JSON.stringify(results.deleteBigUser)}`);

    results.peakRssMb = Math.round(peakRssMb(serverPid));
    results.totalSeconds = Math.round((performance.now() - started) / 1000);
    print(results);
    await mkdir(join(ROOT, 'bench'), { recursive: true }); // bench/ holds only ignored files: absent in a fresh checkout
    await writeFile(join(ROOT, 'bench', 'scale-results.json'), JSON.stringify(results, null, 2) + '\n');
  } finally {
    await admin.end().catch(() => undefined);
    if (server) await stopServer(server.child);
    await dropScratchDatabase(db).catch((error: unknown) => log(`dropping ${db.name}: ${String(error)}`));
    await rm(keysDir, { recursive: true, force: true });
  }
}

/** Backend CPU per call of the keyset and OFFSET statements at depth, and of the JSON-shaping variant. */
async function statementCosts(admin: pg.Client, url: string, userId: string, depthPage: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0].pid;
  const iso = (c: string) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  const columns = `id, title, description, completed, ${iso('due_at')} AS "dueAt", ${iso('created_at')} AS "createdAt", ${iso('updated_at')} AS "updatedAt"`;
  const json = `json_build_object('id', id, 'title', title, 'description', description, 'completed', completed,
    'dueAt', ${iso('due_at')}, 'createdAt', ${iso('created_at')}, 'updatedAt', ${iso('updated_at')})::text AS item`;
  const offset = (depthPage - 1) * 20;
  const deep = (
    await admin.query<{ created_at: Date; id: string }>(
      'SELECT created_at, id FROM todos WHERE user_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1',
      [userId, offset - 1],
    )
  ).rows[0];
  const statements: [string, string, unknown[]][] = [
    ['keyset, first page (columns)', `SELECT ${columns} FROM todos WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21`, [userId]],
    [
      `keyset, page ${depthPage} (columns)`,
      `SELECT ${columns} FROM todos WHERE user_id = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT 21`,
      [userId, deep.created_at, deep.id],
    ],
    [`OFFSET ${offset} (columns, with count)`, `SELECT ${columns}, count(*) OVER () FROM todos WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET $2`, [userId, offset]],
    ['page 1 with count (columns)', `SELECT ${columns}, count(*) OVER () FROM todos WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20`, [userId]],
    ['page 1 with count (json_build_object)', `SELECT ${json}, count(*) OVER () FROM todos WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20`, [userId]],
    ['keyset, first page (json_build_object)', `SELECT ${json} FROM todos WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 21`, [userId]],
  ];
  const out: Record<string, { calls: number; cpuUsPerCall: number; msPerCall: number; plan: string }> = {};
  const ROUNDS = 5;
  const totals = new Map<string, { calls: number; cpuUs: number; ms: number }>();
  try {
    for (const [name, text, params] of statements) {
      const plan = (await client.query(`EXPLAIN ${text}`, params)).rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'].trim())[0];
      for (let i = 0; i < 20; i++) await client.query({ name, text, values: params });
      out[name] = { calls: 0, cpuUsPerCall: 0, msPerCall: 0, plan };
      totals.set(name, { calls: 0, cpuUs: 0, ms: 0 });
    }
    // Interleaved rounds: a burst of load from elsewhere on the machine lands on every statement
    // alike rather than on whichever ran at that moment.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, text, params] of statements) {
        const calls = name.startsWith('OFFSET') || name.includes('with count') ? 10 : 1000;
        const c0 = cpuUs(pid);
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) await client.query({ name, text, values: params });
        const total = totals.get(name)!;
        total.ms += performance.now() - t0;
        total.cpuUs += cpuUs(pid) - c0;
        total.calls += calls;
      }
    }
    for (const [name, total] of totals) {
      Object.assign(out[name], {
        calls: total.calls,
        cpuUsPerCall: Math.round(total.cpuUs / total.calls),
        msPerCall: Math.round((total.ms / total.calls) * 1000) / 1000,
      });
      log(`statement ${name}: ${JSON.stringify(out[name])}`);
    }
  } finally {
    await client.end();
  }
  return out;
}

/** Requests in flight while the caches fill. */
const FILL_CONCURRENCY = 32;
/** How long the caches' server may idle, waiting for a major GC, before its heap is read. */
const GC_WAIT_SECONDS = 30;

interface CacheMemory {
  /** Sessions, and their access tokens, in each cache at the end. */
  entries: number;
  /** Of those, the ones added between the two readings (the rest warmed the server up). */
  measuredEntries: number;
  fill: { seconds: number; perSecond: number; errors: number; firstError: string | null };
  heapUsedBeforeMb: number;
  heapUsedAfterMb: number;
  heapReadsBeforeMb: number[];
  heapReadsAfterMb: number[];
  heapGrowthMb: number;
  heapBytesPerEntry: number;
  /** The same without the young generation: steadier, as it leaves out most of the garbage. */
  oldGenerationBytesPerEntry: number;
  /** Whether V8 ran a major GC while the server idled before each reading (none is forced). */
  majorGcBeforeReads: { before: boolean; after: boolean };
  idleSecondsBeforeReads: { before: number; after: number };
  rssBeforeMb: number;
  rssAfterMb: number;
  rssBytesPerEntry: number;
  peakRssMb: number;
  /** Reads of the sessions table while the oldest measured tokens were sent again: 0 when they were still cached. */
  recheck: { tokens: number; sessionTableReads: number };
}

/**
 * What SessionStateCache and VerifiedTokens cost in memory holding --cache-fill entries each. A
 * server of its own, with ACCESS_TOKEN_CACHE_SIZE at its maximum (SessionStateCache's bound) and
 * /metrics open to a token, so that the measured server and the later steps keep production's
 * configuration and heap. It is sent GET /users/me once with each of --cache-fill access tokens, each
 * of a distinct seeded live session: every request verifies a token never seen (VerifiedTokens
 * remembers it) of a session never read (SessionStateCache remembers it). The tokens are minted as
 * TokenService.issuePair does, by JwtMaker on JwtService under JwtOptions with this run's keys, while
 * the requests go out. Heap used is /metrics' nodejs_heap_size_used_bytes, the median of five reads a
 * second apart after the server idled (settled, below); no GC is forced, so garbage not yet
 * collected counts too.
 */
async function cacheMemory(
  admin: pg.Client,
  databaseUrl: string,
  keysDir: string,
  logFile: string,
  options: { cpu?: number; env: Record<string, string> },
): Promise<CacheMemory> {
  const fill = SIZE['cache-fill'];
  // The first tokens warm the server's code up (each path a request takes), before the baseline.
  const warm = Math.min(500, Math.floor(fill / 10));
  const recheck = Math.min(1000, fill - warm);
  const metricsToken = randomBytes(24).toString('base64url');
  const env = { ...options.env, ACCESS_TOKEN_CACHE_SIZE: String(CACHE_BOUND), METRICS_TOKEN: metricsToken };
  const cacheServer = await startServer(databaseUrl, keysDir, logFile, { ...options, env });
  const pid = cacheServer.child.pid!;
  log(`caches: server pid ${pid}, log ${logFile}`);
  try {
    // The server inherits this process's environment, so reads the same JWT_* (their defaults when unset).
    const config = validateEnvironment({
      JWT_ISSUER: process.env.JWT_ISSUER,
      JWT_AUDIENCE: process.env.JWT_AUDIENCE,
      JWT_ACCESS_TTL: process.env.JWT_ACCESS_TTL,
      JWT_REFRESH_TTL: process.env.JWT_REFRESH_TTL,
    });
    const keys = await KeyStore.load({ KEYS_DIR: keysDir, NODE_ENV: 'production', TOKEN_FORMAT: 'jwt' });
    const jwtOptions = new JwtOptions(keys.jwt, config.JWT_ISSUER, config.JWT_AUDIENCE, { access: config.JWT_ACCESS_TTL, refresh: config.JWT_REFRESH_TTL });
    // TokensModule's maker: JwtModule registered with jwtOptions.module, JwtMaker over it.
    const maker = new JwtMaker(new JwtService(jwtOptions.module), jwtOptions);
    const sessions = (
      await admin.query<{ id: string; userId: string; amr: string[] }>(
        `SELECT s.id, s.user_id AS "userId", s.amr FROM sessions s JOIN scale_users u ON u.id = s.user_id
         WHERE s.revoked_at IS NULL AND s.expires_at > now() LIMIT $1`,
        [fill],
      )
    ).rows;
    if (sessions.length < fill) throw new Error(`only ${sessions.length} live seeded sessions for --cache-fill=${fill}`);

    const kept: string[] = [];
    const mint = async (i: number) => {
      const { id, userId, amr } = sessions[i];
      // TokenService.issuePair's access token.
      const token = await maker.create('access', { sub: userId, sid: id, jti: randomUUID(), amr });
      if (i < warm + recheck) kept[i] = token;
      return token;
    };
    const me = (token: string) => fetch(`${cacheServer.baseUrl}/users/me`, { headers: { authorization: `Bearer ${token}` } });
    let errors = 0;
    let firstError: string | null = null;
    /** GET /users/me once with each token `from` ≤ i < `to`, FILL_CONCURRENCY at a time. */
    const sendEach = async (token: (i: number) => Promise<string> | string, from: number, to: number) => {
      let next = from;
      await Promise.all(
        Array.from({ length: FILL_CONCURRENCY }, async () => {
          for (let i = next++; i < to; i = next++) {
            const response = await me(await token(i));
            const body = await response.text();
            if (response.status !== 200) {
              errors++;
              firstError ??= `${response.status} ${body.slice(0, 200)}`;
            }
          }
        }),
      );
    };
    /** The server's /metrics: `value(name, labels)` of a sample, NaN when absent. */
    const scrape = async () => {
      const response = await fetch(`${cacheServer.baseUrl}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}`);
      return (name: string, labels = '') => {
        const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
        return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
      };
    };
    const rss = () => rssMb(pid) * 2 ** 20;
    /**
     * Once the server is idle: waits (up to GC_WAIT_SECONDS, reading every 3 s) for a major GC that
     * V8 starts by itself (its memory reducer runs one when allocation has slowed), so that less of
     * the garbage promoted under load is counted; then heap used, the median of five reads a second
     * apart, and the same without the young generation (the garbage of the last requests and of the
     * reads themselves: up to a semi-space, 16 MB), and RSS, in bytes.
     */
    const settled = async () => {
      const majors = (metrics: Awaited<ReturnType<typeof scrape>>) => metrics('nodejs_gc_duration_seconds_count', 'kind="major"') || 0;
      const idle = performance.now();
      const first = majors(await scrape());
      let majorGc = false;
      while (!majorGc && performance.now() - idle < GC_WAIT_SECONDS * 1000) {
        await sleep(3000);
        majorGc = majors(await scrape()) > first;
      }
      const heap: number[] = [];
      const old: number[] = [];
      for (let k = 0; k < 5; k++) {
        if (k > 0) await sleep(1000);
        const metrics = await scrape();
        const used = metrics('nodejs_heap_size_used_bytes');
        if (!Number.isFinite(used)) throw new Error('GET /metrics has no nodejs_heap_size_used_bytes');
        heap.push(used);
        old.push(used - metrics('nodejs_heap_space_size_used_bytes', 'space="new"') - (metrics('nodejs_heap_space_size_used_bytes', 'space="new_large_object"') || 0));
      }
      return { heap: median(heap), old: median(old), reads: heap, rss: rss(), majorGc, idleSeconds: Math.round((performance.now() - idle) / 1000) };
    };
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

    await sendEach(mint, 0, warm);
    if (warm > 0) await drive(3, FILL_CONCURRENCY, (w, i) => me(kept[(w * 31 + i) % warm]));
    const before = await settled();
    log(`caches: ${warm} entries, heap used ${mb(before.heap)} MB, RSS ${mb(before.rss)} MB; filling to ${fill}`);
    const t0 = performance.now();
    await sendEach(mint, warm, fill);
    const seconds = (performance.now() - t0) / 1000;
    const after = await settled();
    const reads0 = await sessionTableReads(databaseUrl);
    await sendEach((i) => kept[i], warm, warm + recheck);
    const sessionReads = (await sessionTableReads(databaseUrl)) - reads0;
    const measured = fill - warm;
    const result: CacheMemory = {
      entries: fill,
      measuredEntries: measured,
      fill: { seconds: Math.round(seconds * 10) / 10, perSecond: Math.round(measured / seconds), errors, firstError },
      heapUsedBeforeMb: mb(before.heap),
      heapUsedAfterMb: mb(after.heap),
      heapReadsBeforeMb: before.reads.map(mb),
      heapReadsAfterMb: after.reads.map(mb),
      heapGrowthMb: mb(after.heap - before.heap),
      heapBytesPerEntry: Math.round((after.heap - before.heap) / Math.max(1, measured)),
      oldGenerationBytesPerEntry: Math.round((after.old - before.old) / Math.max(1, measured)),
      majorGcBeforeReads: { before: before.majorGc, after: after.majorGc },
      idleSecondsBeforeReads: { before: before.idleSeconds, after: after.idleSeconds },
      rssBeforeMb: mb(before.rss),
      rssAfterMb: mb(after.rss),
      rssBytesPerEntry: Math.round((after.rss - before.rss) / Math.max(1, measured)),
      peakRssMb: Math.round(peakRssMb(pid) * 10) / 10,
      recheck: { tokens: recheck, sessionTableReads: sessionReads },
    };
    log(`caches: ${JSON.stringify(result)}`);
    if (errors > 0) log(`caches: WARNING ${errors} requests failed (first: ${firstError}); those entries are missing from the figures`);
    return result;
  } finally {
    await stopServer(cacheServer.child);
  }
}

function print(results: Record<string, unknown>) {
  const empty = results.empty as Record<string, Latencies>;
  const seeded = results.seeded as Record<string, Latencies>;
  console.log('\n## Empty database against seeded (p99 ms, requests/s)\n');
  console.log('| route | empty p99 | seeded p99 | ratio | empty req/s | seeded req/s |');
  console.log('|---|---|---|---|---|---|');
  for (const route of ['signup', 'login', 'refresh', 'me']) {
    const e = empty[route];
    const s = seeded[route];
    console.log(`| ${route} | ${e.p99} | ${s.p99} | ${(s.p99 / e.p99).toFixed(2)} | ${e.perSecond} | ${s.perSecond} |`);
  }
  console.log(`\nGET /users/me CPU per request: empty ${JSON.stringify((results.empty as { meCpu: unknown }).meCpu)}, seeded ${JSON.stringify((results.seeded as { meCpu: unknown }).meCpu)}`);
  console.log('\n## GET /todos of the user with the most todos\n');
  console.log('| page | p50 ms | p99 ms | req/s | service CPU µs/req | Postgres CPU µs/req |');
  console.log('|---|---|---|---|---|---|');
  for (const [name, m] of Object.entries(results.todos as Record<string, Latencies & { serviceUs: number; postgresUs: number }>)) {
    console.log(`| ${name} | ${m.p50} | ${m.p99} | ${m.perSecond} | ${m.serviceUs} | ${m.postgresUs} |`);
  }
  console.log('\n## The statements alone (one connection)\n');
  console.log('| statement | Postgres CPU µs/call | ms/call | plan |');
  console.log('|---|---|---|---|');
  for (const [name, s] of Object.entries(results.statements as Record<string, { cpuUsPerCall: number; msPerCall: number; plan: string }>)) {
    console.log(`| ${name} | ${s.cpuUsPerCall} | ${s.msPerCall} | ${s.plan} |`);
  }
  console.log(`\n## The in-process caches full (SessionStateCache and VerifiedTokens, ACCESS_TOKEN_CACHE_SIZE=${CACHE_BOUND})\n`);
  const caches = results.cacheMemory as CacheMemory | string;
  if (typeof caches === 'string') console.log(caches);
  else {
    console.log('| entries in each (measured) | heap used before → after MB | heap growth MB | heap bytes/entry (without young gen.) | RSS before → after MB | peak RSS MB | fill s (req/s) | errors | session reads on re-check |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${caches.entries} (${caches.measuredEntries}) | ${caches.heapUsedBeforeMb} → ${caches.heapUsedAfterMb} | ${caches.heapGrowthMb} | ${caches.heapBytesPerEntry} (${caches.oldGenerationBytesPerEntry}) | ${caches.rssBeforeMb} → ${caches.rssAfterMb} | ${caches.peakRssMb} | ${caches.fill.seconds} (${caches.fill.perSecond}) | ${caches.fill.errors} | ${caches.recheck.sessionTableReads} of ${caches.recheck.tokens} |`,
    );
  }
  console.log('\n## Retention, DELETE /users/me, memory\n');
  console.log('```json');
  console.log(JSON.stringify({ retention: results.retention, deleteBigUser: results.deleteBigUser, peakRssMb: results.peakRssMb, seedSeconds: results.seedSeconds, counts: results.counts, totalSeconds: results.totalSeconds }, null, 2));
  console.log('```');
}

await main();
await sleep(0);
