import { rm } from 'node:fs/promises';
import { tsImport } from 'tsx/esm/api';

export default async function globalTeardown() {
  const { dropScratchDatabase } = await tsImport('./support/database.ts', import.meta.url);
  const db = globalThis.__E2E_DATABASE__;
  if (db) await dropScratchDatabase(db);
  if (process.env.KEYS_DIR?.includes('e2e-keys-')) await rm(process.env.KEYS_DIR, { recursive: true, force: true });
}
