import { afterAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildServerOnce, EMBEDDED_RUNNER_LOADED, freePort, REPORT_EMBEDDED_RUNNER } from './support/instances.js';
import { alive } from '../scripts/processes.js';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * `npm start` without DATABASE_URL, stopped with Ctrl-C: a terminal sends SIGINT to every process of
 * its foreground process group at once. The built server runs as the leader of its own group, as a
 * shell's job would, with the embedded PostgreSQL it starts in a scratch folder.
 */
describe('Ctrl-C on a service with the embedded database', () => {
  let server: ChildProcess | undefined;
  let folder: string | undefined;
  afterAll(async () => {
    if (server?.pid && server.exitCode === null) process.kill(-server.pid, 'SIGKILL');
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('stops the service and then its database, logging no error', async () => {
    await buildServerOnce();
    folder = await mkdtemp(join(tmpdir(), 'ctrl-c-'));
    // Enterable by the OS user Postgres runs as under root, so the data stays in this folder.
    await chmod(folder, 0o755);
    const [port, databasePort] = [await freePort(), await freePort()];
    server = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
      cwd: folder,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        EMBEDDED_PG_PORT: String(databasePort),
        BCRYPT_ROUNDS: '4',
        LOG_LEVEL: 'info',
        NODE_OPTIONS: REPORT_EMBEDDED_RUNNER,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    server.stdout!.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
    server.stderr!.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
    const exited = new Promise<number | null>((done) => server!.once('exit', (code) => done(code)));

    const deadline = Date.now() + 120_000;
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the service exited:\n${output.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`the service was not ready:\n${output.join('\n')}`);
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ready) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain(EMBEDDED_RUNNER_LOADED);
    const dataDir = /\(data in (\S+), binaries/.exec(output.join('\n'))?.[1];
    expect(dataDir).toBeDefined();
    const postgres = Number((await readFile(join(dataDir!, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(alive(postgres)).toBe(true);
    // The service reaches its database (a signup is a write).
    const signup = await fetch(`http://127.0.0.1:${port}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ctrl-c@example.com', password: 'correct horse battery' }),
    });
    expect(signup.status).toBe(201);

    process.kill(-server.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const errors = output.filter((line) => /"level":(50|60)/.test(line) || /\bERROR\b/.test(line));
    expect(errors).toEqual([]);
    expect(output.some((line) => line.includes('SIGINT received'))).toBe(true);
    // Stopped by the service on its way out, not left behind.
    expect(alive(postgres)).toBe(false);
  }, 180_000);
});
