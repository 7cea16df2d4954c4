/**
 * `npm run docs:config`: writes the configuration table of README.md and docs/API.md from the one
 * schema (src/config/environment.ts). src/config/config-table.spec.ts fails when either file differs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withConfigurationTable } from '../src/config/config-table.js';
import { ROOT } from './root.js';

export const DOCUMENTS = ['README.md', join('docs', 'API.md')];

for (const file of DOCUMENTS) {
  const path = join(ROOT, file);
  const before = await readFile(path, 'utf8');
  const after = withConfigurationTable(before, file);
  if (after !== before) await writeFile(path, after);
  console.log(`${file}: ${after === before ? 'up to date' : 'table rewritten'}`);
}
