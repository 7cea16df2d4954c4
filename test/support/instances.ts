import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** NODE_OPTIONS under which a server prints EMBEDDED_RUNNER_LOADED when it loads src/database/embedded-postgres.ts. */
export const REPORT_EMBEDDED_RUNNER = `--import=${pathToFileURL(resolve(ROOT, 'test/support/report-embedded-runner.mjs')).href}`;
export const EMBEDDED_RUNNER_LOADED = 'embedded-Postgres runner loaded';

/** `npm run build` once per test run (Jest runs the e2e files in one process, --runInBand). */
export async function buildServerOnce(): Promise<void> {
  if (process.env.E2E_SERVER_BUILT === '1') return;
  await promisify(execFile)(process.execPath, [resolve(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], { cwd: ROOT });
  process.env.E2E_SERVER_BUILT = '1';
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** A logged line of a server: pino's JSON, with Nest's `context`. */
export interface LogLine {
  level: number;
  msg: string;
  context?: string;
  [field: string]: unknown;
}

/** One `node dist/main.js`, its output kept line by line. */
export class Instance {
  readonly logs: LogLine[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(
    readonly port: number,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [resolve(ROOT, 'dist/main.js')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'info', BCRYPT_ROUNDS: '4', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    const collect = (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        this.output.push(line);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          // Not a log line (e.g. "Startup failed: ..."): kept in `output`.
        }
      }
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolveExit) => this.child.once('exit', (code) => resolveExit(code)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  messages(context?: string): string[] {
    return this.logs.filter((l) => context === undefined || l.context === context).map((l) => l.msg);
  }

  /** Until GET /health/ready answers 200; fails with the server's output if it exits or takes too long. */
  async ready(timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`instance on ${this.port} exited:\n${this.output.join('\n')}`);
      try {
        if ((await fetch(`${this.url}/health/ready`)).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`instance on ${this.port} not ready in ${timeoutMs} ms:\n${this.output.join('\n')}`);
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  /** Always safe to call (afterAll): ends the process if it still runs. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export async function startInstances(count: number, env: Record<string, string>): Promise<Instance[]> {
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  return ports.map((port) => new Instance(port, env));
}

/** A fresh, empty (unmigrated) `e2e_<hex>` database beside the run's own, and a way to drop it. */
export async function createEmptyDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const admin = new URL(process.env.DATABASE_URL!);
  admin.pathname = '/postgres';
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
