// Jest loads global setup with Node's own loader, outside its transform; tsx lets it share
// the TypeScript helpers the benchmark uses too.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';

/** One fresh, migrated database and one fresh key directory per run; the workers inherit both. */
export default async function globalSetup() {
  const { createScratchDatabase } = await tsImport('./support/database.ts', import.meta.url);
  const db = await createScratchDatabase('e2e');
  globalThis.__E2E_DATABASE__ = db;
  process.env.DATABASE_URL = db.url;
  process.env.KEYS_DIR = await mkdtemp(join(tmpdir(), 'e2e-keys-'));
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'silent';
  process.env.BCRYPT_ROUNDS ??= '4';
  process.env.AUTH_RATE_LIMIT ??= '100000';
  console.log(`\ne2e database ${db.name} on ${db.source}`);
}
