import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationTable, TABLE_BEGIN, TABLE_END, withConfigurationTable } from './config-table.js';
import { VARIABLES } from './environment.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the configuration tables', () => {
  it.each(['README.md', 'docs/API.md'])("in %s are the schema's (run `npm run docs:config` after changing it)", (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text.slice(text.indexOf(TABLE_BEGIN), text.indexOf(TABLE_END) + TABLE_END.length)).toBe(
      `${TABLE_BEGIN}\n${configurationTable()}\n${TABLE_END}`,
    );
  });

  it('have one row per variable, naming its default and what it accepts', () => {
    const rows = configurationTable().split('\n').slice(2);
    expect(rows.map((row) => /^\| `(\w+)` \|/.exec(row)?.[1])).toEqual(Object.keys(VARIABLES));
    expect(rows.find((row) => row.startsWith('| `PORT` '))).toBe('| `PORT` | `3000` | an integer from 1 to 65535 | HTTP port |');
    expect(rows.find((row) => row.startsWith('| `VONAGE_FROM` '))).toContain('required when `SMS_PROVIDER=vonage`');
  });

  it('are rewritten between the markers only, and a document without them is refused', () => {
    const document = `# Title\n\n${TABLE_BEGIN}\n| stale |\n${TABLE_END}\n\nafter\n`;
    expect(withConfigurationTable(document, 'x.md')).toBe(`# Title\n\n${TABLE_BEGIN}\n${configurationTable()}\n${TABLE_END}\n\nafter\n`);
    expect(() => withConfigurationTable('# no markers', 'x.md')).toThrow(/x\.md has no configuration table markers/);
  });
});
