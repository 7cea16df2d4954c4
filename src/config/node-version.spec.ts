import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const CHECK = join(ROOT, 'scripts', 'check-node.mjs');
/** The oldest Node package.json's engines admit, e.g. 22.22.3 of `^22.22.3 || ^24.15.0 || >=26.0.0`. */
const OLDEST = /(\d+)\.(\d+)\.(\d+)/
  .exec((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node)!
  .slice(1)
  .map(Number);

const older = (version: string) => {
  const v = version.split('.').map(Number);
  return (v[0] - OLDEST[0] || v[1] - OLDEST[1] || v[2] - OLDEST[2]) < 0;
};

/** A Node on this machine older than any package.json's engines admit (Debian's Node 20 here), if there is one. */
const oldNode = spawnSync('which', ['-a', 'node'], { encoding: 'utf8' })
  .stdout.split('\n')
  .filter(Boolean)
  .find((node) => older(spawnSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()));

/** The environment of a newcomer whose PATH finds the old Node first; nothing of the npm that runs this test. */
const oldNodeEnv = () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
  return { ...env, PATH: `${dirname(oldNode!)}:${process.env.PATH}` };
};

const oneLine = expect.stringMatching(
  /^todo-api needs Node\.js 22 \(22\.22\.3 or later\), 24 \(24\.15\.0 or later\) or 26 or later; this is v\d+\.\d+\.\d+\. Install Node 24 [^\n]*\n$/,
);

describe('the Node.js version check', () => {
  it('lets this Node through in silence', () => {
    const run = spawnSync(process.execPath, [CHECK], { encoding: 'utf8' });
    expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('is what npm start, start:dev and test run first, and npm ci refuses through .npmrc', () => {
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'start:dev', 'test'])
      expect({ name, script: scripts[name] }).toEqual({ name, script: expect.stringMatching(/^node scripts\/check-node\.mjs && /) });
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toMatch(/^engine-strict=true$/m);
  });

  (oldNode ? describe : describe.skip)(`under an older Node (${oldNode ?? `none on this machine older than ${OLDEST.join('.')}`})`, () => {
    it('refuses with one line saying which Node is needed and how to get it', () => {
      const run = spawnSync(oldNode!, [CHECK], { encoding: 'utf8' });
      expect({ status: run.status, stdout: run.stdout, stderr: run.stderr }).toEqual({ status: 1, stdout: '', stderr: oneLine });
    });

    it('npm start stops on that line before anything starts', () => {
      const run = spawnSync('npm', ['start', '--silent'], { cwd: ROOT, env: oldNodeEnv(), encoding: 'utf8', timeout: 60_000 });
      expect(run.status).not.toBe(0);
      expect(run.stderr.split('\n').filter(Boolean)[0]).toMatch(/^todo-api needs Node\.js /);
      expect(run.stdout).not.toMatch(/nest|Starting/i);
    });

    // Against a copy of the manifest and lockfile: a refusal installs nothing, anything else would.
    it('npm ci refuses before installing anything (.npmrc engine-strict)', () => {
      const dir = mkdtempSync(join(tmpdir(), 'engine-strict-'));
      try {
        for (const file of ['package.json', 'package-lock.json', '.npmrc']) cpSync(join(ROOT, file), join(dir, file));
        const run = spawnSync('npm', ['ci', '--dry-run', '--offline', '--no-audit', '--no-fund'], {
          cwd: dir,
          env: oldNodeEnv(),
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(run.status).not.toBe(0);
        expect(run.stderr).toMatch(/EBADENGINE[\s\S]*Required: \{"node":"\^22\.22\.3 \|\| \^24\.15\.0 \|\| >=26\.0\.0"\}/);
        expect(existsSync(join(dir, 'node_modules'))).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
