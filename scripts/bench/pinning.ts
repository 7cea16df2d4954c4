/**
 * CPU pinning for the comparison with the ceiling, with util-linux `taskset` on Linux.
 *
 * Each server is spawned under `taskset -c <server CPU>`, so the service and the ceiling take turns
 * on the same core. The load generator is autocannon running inside this process: rather than
 * re-exec the whole bench under taskset (signals, exit codes and tsx's own child in between) or
 * drive the autocannon CLI as a child (and parse its output), this process moves itself — every
 * thread of it, `taskset -a -p` — to the other core for the comparison and back to its original
 * mask afterwards. Threads created later inherit the mask of the thread that creates them. So the
 * build, the seeding and the rest of the full bench keep the whole machine, as before.
 *
 * Postgres is a shared server and is not pinned: both servers' queries run wherever it runs.
 */
import { spawnSync } from 'node:child_process';

export interface Pinning {
  serverCpu: number;
  loadCpu: number;
  /** This process's affinity list before pinning, e.g. "0,1" or "0-3". */
  original: string;
}

function taskset(args: string[]): { ok: true; stdout: string } | { ok: false; why: string } {
  const result = spawnSync('taskset', args, { encoding: 'utf8' });
  if (result.error) return { ok: false, why: (result.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'taskset not found' : result.error.message };
  if (result.status !== 0) return { ok: false, why: `taskset ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}` };
  return { ok: true, stdout: result.stdout };
}

/** "0,2-3" → [0, 2, 3] */
function cpusOf(list: string): number[] {
  return list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** The first two CPUs this process may use, or why the comparison runs unpinned. */
export function choosePinning(): Pinning | { unpinned: string } {
  if (process.platform !== 'linux') return { unpinned: `not Linux (${process.platform})` };
  const current = taskset(['-cp', String(process.pid)]);
  if (!current.ok) return { unpinned: current.why };
  // "pid 123's current affinity list: 0,1"
  const original = /list:\s*(\S+)/.exec(current.stdout)?.[1];
  if (!original) return { unpinned: `unexpected taskset output: ${current.stdout.trim()}` };
  const cpus = cpusOf(original);
  if (cpus.length < 2) return { unpinned: `only CPU ${original} is available` };
  return { serverCpu: cpus[0], loadCpu: cpus[1], original };
}

/** How a server is started: on one CPU, and/or under another program (e.g. valgrind) that runs it. */
export interface LaunchOptions {
  cpu?: number;
  /** A command line that runs the server, the server's own command appended (it must keep the pid). */
  under?: string[];
  /** How long start-up may take (default 60 s). */
  startupSeconds?: number;
}

/** Command and arguments that run `command args` on one CPU (or as they are, unpinned), under `under` if given. */
export function launch(options: LaunchOptions, command: string, args: string[]): [string, string[]] {
  const line = [...(options.under ?? []), ...(options.cpu === undefined ? [] : ['taskset', '-c', String(options.cpu)]), command, ...args];
  return [line[0], line.slice(1)];
}

/** Moves every thread of this process to `cpuList`. */
export function pinThisProcess(cpuList: string): void {
  const result = taskset(['-a', '-cp', cpuList, String(process.pid)]);
  if (!result.ok) throw new Error(`pinning the load generator failed: ${result.why}`);
}
