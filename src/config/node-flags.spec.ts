import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The node flags of a `node <flags> dist/main.js` command line. */
function flagsOf(words: string[]): string[] {
  expect(words[0]).toBe('node');
  expect(words.at(-1)).toBe('dist/main.js');
  return words.slice(1, -1);
}

// The heap bound and the GC setting are measured choices (README, Performance): the container must
// run the service exactly as `npm run start:prod` does, or it runs with a different memory profile.
describe('production node flags', () => {
  it('are the same in the image as in npm run start:prod', () => {
    const startProd: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    expect(cmd).not.toBeNull();
    const fromImage = flagsOf(JSON.parse(cmd![1]) as string[]);
    expect(fromImage).toEqual(flagsOf(startProd.trim().split(/\s+/)));
    expect(fromImage).toEqual(expect.arrayContaining(['--max-old-space-size=192', '--no-allocation-site-pretenuring']));
  });
});
