import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProdNodeFlags } from '../../scripts/start-prod.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Runs `script` under start:prod's V8 flags. Without NODE_OPTIONS: whatever the caller set there is
 * not under test. Without --import: it loads the built tracing entry (dist/), which a unit run does
 * not build, and it is no V8 flag.
 */
function underProdFlags(script: string) {
  const { NODE_OPTIONS: _, ...env } = process.env;
  const v8Flags = startProdNodeFlags().filter((flag) => !flag.startsWith('--import='));
  return spawnSync(process.execPath, [...v8Flags, '-e', script], { encoding: 'utf8', env });
}

// The heap bound and the GC setting are measured choices (README, Performance): the container must
// run the service exactly as `npm run start:prod` does, or it runs with a different memory profile.
describe('production node flags', () => {
  it('are the same in the image as in npm run start:prod', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(cmd).not.toBeNull();
    const words = JSON.parse(cmd![1]) as string[];
    expect([words[0], words.at(-1)]).toEqual(['node', 'dist/main.js']);
    const fromImage = words.slice(1, -1);
    expect(fromImage).toEqual(startProdNodeFlags());
    expect(fromImage).toEqual(
      expect.arrayContaining(['--max-old-space-size=192', '--max-semi-space-size=16', '--no-allocation-site-pretenuring']),
    );
  });

  // V8 sizes the young generation from the machine's memory, not from --max-old-space-size: on a
  // 24 GiB machine it reserved 192 MB beside the 192 MB old space, the heap filled up within a
  // second of load and V8 ran a full mark-compact every ~100 ms (10x the CPU per request, measured
  // in docs/PERFORMANCE.md). The semi-space bound keeps the young generation small beside the old.
  it('bound the young generation too, whatever the machine', () => {
    const run = underProdFlags('process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))');
    const oldSpaceFlag = startProdNodeFlags().find((flag) => flag.startsWith('--max-old-space-size='));
    const oldSpaceMb = Number(/^--max-old-space-size=(\d+)$/.exec(oldSpaceFlag!)![1]);
    const youngMb = Number(run.stdout) / 2 ** 20 - oldSpaceMb;
    expect(youngMb).toBeGreaterThan(0);
    expect(youngMb).toBeLessThanOrEqual(oldSpaceMb / 4);
  });

  // V8 flags are not a stable interface: a Node line that dropped one would refuse to start the service.
  it('are accepted by this Node', () => {
    const run = underProdFlags('process.exit(0)');
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });
});
