import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from './key-store.js';

describe('KeyStore.derive', () => {
  const dirs: string[] = [];
  const load = async (dir?: string) => {
    const keysDir = dir ?? (await mkdtemp(join(tmpdir(), 'key-store-spec-')));
    dirs.push(keysDir);
    return { keysDir, keys: await KeyStore.load({ KEYS_DIR: keysDir, NODE_ENV: 'test', TOKEN_FORMAT: 'jwt' }) };
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('gives every instance sharing KEYS_DIR the same 32-byte secret for a purpose, and another for another purpose', async () => {
    const { keysDir, keys } = await load();
    const { keys: again } = await load(keysDir);
    expect(keys.derive('todos-page-cursor')).toHaveLength(32);
    expect(again.derive('todos-page-cursor').equals(keys.derive('todos-page-cursor'))).toBe(true);
    expect(keys.derive('security-events-cursor').equals(keys.derive('todos-page-cursor'))).toBe(false);
  });

  it('gives other keys another secret', async () => {
    const [{ keys: one }, { keys: other }] = [await load(), await load()];
    expect(one.derive('todos-page-cursor').equals(other.derive('todos-page-cursor'))).toBe(false);
  });
});
