/**
 * `npm run bench:profiles`: regenerates bench/profiles/ (git-ignored): runs `npm run bench:quick` with
 * the service under `node --cpu-prof`, gzips the V8 CPU profile each service process writes (the
 * service as it ships, and the same build with ACCESS_TOKEN_CACHE_SIZE=0), and prints each one's
 * summary by layer (scripts/bench/layers.ts). docs/PERFORMANCE.md says how to read them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT } from '../root.js';

const DIR = join(ROOT, 'bench', 'profiles');
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });

const nodeArgs = [process.env.BENCH_NODE_ARGS ?? '', '--cpu-prof', `--cpu-prof-dir=${DIR}`].join(' ').trim();
const bench = spawnSync('npm', ['run', 'bench:quick'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, BENCH_NODE_ARGS: nodeArgs } });
if (bench.status !== 0) process.exit(bench.status ?? 1);

for (const file of readdirSync(DIR).filter((name) => name.endsWith('.cpuprofile'))) {
  const path = join(DIR, file);
  writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
  rmSync(path);
  console.log(`\n${path}.gz`);
  spawnSync('npm', ['run', '--silent', 'bench:layers', '--', `${path}.gz`], { cwd: ROOT, stdio: 'inherit' });
}
