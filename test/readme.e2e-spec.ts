import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildServerOnce, createEmptyDatabase, type Instance, startInstances } from './support/instances.js';

const ROOT = join(import.meta.dirname, '..');
const MARKER = '<!-- curl session: run verbatim by test/readme.e2e-spec.ts -->';

/** The README's curl session: the bash block right after the marker, exactly as a reader copies it. */
function readmeSession(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = new RegExp(`${MARKER}\\n\`\`\`bash\\n([\\s\\S]*?)\\n\`\`\`\\n`).exec(readme);
  if (!block) throw new Error(`README.md has no bash block after ${MARKER}`);
  return block[1];
}

/** Runs `script` in bash as pasted (stdin), with `set -e` so the first failing command fails the run. */
function runBash(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const bash = spawn('bash', ['-e'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    bash.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    bash.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    bash.on('close', (code) => resolve({ code, stdout, stderr }));
    bash.stdin.end(script);
  });
}

describe('the README', () => {
  let instance: Instance | undefined;
  let database: Awaited<ReturnType<typeof createEmptyDatabase>> | undefined;
  let workDir: string;

  beforeAll(async () => {
    await buildServerOnce();
    database = await createEmptyDatabase();
    [instance] = await startInstances(1, { DATABASE_URL: database.url, KEYS_DIR: process.env.KEYS_DIR!, SHUTDOWN_DELAY: '0' });
    await instance.ready();
    workDir = await mkdtemp(join(tmpdir(), 'readme-session-'));
  }, 120_000);

  afterAll(async () => {
    await instance?.kill();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('has a curl session that runs verbatim: signup, login, todos, refresh by cookie and by body, logout', async () => {
    const session = readmeSession();
    // What a newcomer has: bash, curl and the Node that runs the service; API points it at this instance.
    const env = { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: workDir, API: instance!.url };
    const run = await runBash(session, env, workDir);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });

    const lines = run.stdout.trim().split('\n');
    const signup = JSON.parse(lines[0]) as { email: string };
    expect(signup.email).toMatch(/^ada-\d+@example\.com$/);
    expect(JSON.parse(lines[1])).toMatchObject({ title: 'Read the README', completed: false });
    expect(JSON.parse(lines[2])).toMatchObject({ total: 1, items: [{ title: 'Read the README' }] });
    expect(JSON.parse(lines[3])).toMatchObject({ email: signup.email });
    // Logout's 204, then the access token and the latest refresh token refused.
    expect(lines.slice(4)).toEqual(['204', '401', '401']);
    // The cookie refresh went through the jar: the login's cookie, replaced, scoped to /auth.
    expect(await readFile(join(workDir, 'jar.txt'), 'utf8')).toMatch(
      /^#HttpOnly_127\.0\.0\.1\tFALSE\t\/auth\tFALSE\t\d+\trefresh_token\t\S{20,}$/m,
    );
  });

  it('fails the run when a step of the session fails', async () => {
    // The same block against a service that is not there: the first curl fails, and so does the run.
    const env = { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: workDir, API: 'http://127.0.0.1:9' };
    const run = await runBash(readmeSession(), env, workDir);
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
  });
});
