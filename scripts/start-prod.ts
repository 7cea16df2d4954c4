import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './root.js';

/**
 * The node flags of package.json's `start:prod` (`node <flags> dist/main.js`): the benches start
 * dist/main.js with exactly these, without npm in between so the child's pid is the server's.
 */
export function startProdNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = scripts['start:prod'];
  const words = script.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.js') throw new Error(`start:prod is not "node <flags> dist/main.js": ${script}`);
  return words.slice(1, -1);
}
