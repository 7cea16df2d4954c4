import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateMissingKeys } from './key-files.js';

describe('generateMissingKeys', () => {
  it('writes one set of pairs when several processes start on one empty folder at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keys-race-'));
    try {
      const written = await Promise.all([1, 2, 3, 4].map(() => generateMissingKeys(dir)));
      // Exactly one caller wrote each purpose; the others found the pairs it wrote.
      expect(written.flat().sort()).toEqual(['access', 'refresh']);
      expect((await readdir(dir)).sort()).toEqual(['access-private.pem', 'access-public.pem', 'refresh-private.pem', 'refresh-public.pem']);
      // A second start keeps them.
      const before = await readFile(join(dir, 'access-private.pem'), 'utf8');
      await expect(generateMissingKeys(dir)).resolves.toEqual([]);
      await expect(readFile(join(dir, 'access-private.pem'), 'utf8')).resolves.toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NOBODY = 65534;

/** A Node that `uid` may run: this one, unless it lives in a folder only root enters (~/.cache as root). */
function nodeFor(uid: number): string | undefined {
  const candidates = [process.execPath, ...spawnSync('which', ['-a', 'node'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)];
  return candidates.find((node) => spawnSync('test', ['-x', node], { uid, gid: uid }).status === 0);
}

/** Loads the access key ring of `dir` as another OS user (as Docker Compose's uid 1000 would): what it prints. */
function loadAs(uid: number, dir: string): string {
  const script = `
    const { loadKeyRing } = await import('./src/auth/tokens/key-files.ts');
    try { console.log('loaded kid ' + (await loadKeyRing(${JSON.stringify(dir)}, 'access', 'jwt')).kid); }
    catch (error) { console.log(error.message); }`;
  const run = spawnSync(nodeFor(uid)!, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    uid,
    gid: uid,
    encoding: 'utf8',
  });
  return `${run.stdout}${run.stderr}`.trim();
}

// Only root can run a process as another user, and that user needs a Node it may run.
const asRoot = process.getuid?.() === 0 && nodeFor(NOBODY) ? describe : describe.skip;

asRoot('key files owned by another user (Docker Compose: generated as root, read as uid 1000)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keys-owner-'));
    await chmod(dir, 0o755);
    await generateMissingKeys(dir, 'jwt');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stop the start with one line naming the file and the command that fixes it', () => {
    const output = loadAs(NOBODY, dir);
    expect(output).toBe(
      `cannot read key file ${join(dir, 'access-private.pem')} (EACCES): this process runs as uid ${NOBODY}; give it the keys, e.g. \`sudo chown -R ${NOBODY} keys\` where they were generated`,
    );
  });

  it('load once that command has been run', async () => {
    for (const file of await readdir(dir)) await chown(join(dir, file), NOBODY, NOBODY);
    expect(loadAs(NOBODY, dir)).toMatch(/^loaded kid [\w-]{43}$/);
  });
});
