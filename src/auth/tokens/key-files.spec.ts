import { describe, expect, it } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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
