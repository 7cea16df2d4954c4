import { afterAll, beforeAll, describe } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { freePort } from './instances.js';

/** The one command that makes the Redis tests run (Debian/Ubuntu; `.ci/run` runs it when missing). */
export const REDIS_INSTALL = 'apt-get install redis-server';

/** Why the tests that need Redis cannot run on this machine; undefined when they can. */
export const redisSkipReason: string | undefined =
  spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
    ? undefined
    : `redis-server is not on PATH; install it with \`${REDIS_INSTALL}\``;

/** A private `redis-server` on a free loopback port: no persistence, nothing shared with another run. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Whether a Redis answers PING on `port` (one short-lived connection, always closed). */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir(), '--loglevel', 'warning'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const stop = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  const deadline = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on port ${port}: ${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/**
 * A describe block that has a Redis of its own for its tests (started before them, killed after),
 * or, without redis-server on this machine, is skipped with the reason in its title: the summary
 * (test/support/skip-reasons.reporter.mjs) says why and what installs it.
 */
export function describeWithRedis(title: string, body: (redis: () => RedisServer) => void): void {
  if (redisSkipReason) {
    describe.skip(`${title} (skipped: ${redisSkipReason})`, () => body(() => undefined as never));
    return;
  }
  describe(title, () => {
    let server: RedisServer | undefined;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    body(() => server!);
    // Registered after the body's own hooks, so it runs after them: clients close before the server goes.
    afterAll(async () => {
      await server?.stop();
    });
  });
}
