// Refuses a Node.js outside package.json's `engines.node` with one line that says what is needed and
// how to get it. Plain JavaScript that any old Node runs: `npm start`, `npm run start:dev` and
// `npm test` run it first; `npm ci` refuses through .npmrc's engine-strict.
//
// The range is the dependencies' own (Nest's CLI needs ^22.22.3 || ^24.15.0 || >=26, TypeORM
// ^22.13 || >=24.11): a wider one would only move the refusal into the middle of `npm ci`.
// Understood forms, joined by `||`: `^x.y.z` (that major line, from x.y.z) and `>=x.y.z`.
import { readFileSync } from 'node:fs';

const range = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const alternatives = range.split('||').map((part) => {
  const [, kind, ...version] = /^\s*(\^|>=)(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
  return { kind, version: version.map(Number) };
});
const running = process.versions.node.split('.').map(Number);
const atLeast = (v) => (running[0] - v[0] || running[1] - v[1] || running[2] - v[2]) >= 0;
const supported = alternatives.some(({ kind, version }) => atLeast(version) && (kind === '>=' || running[0] === version[0]));

if (!supported) {
  const lines = alternatives.map(({ kind, version: [major, minor, patch] }) =>
    kind === '^' ? `${major} (${major}.${minor}.${patch} or later)` : `${minor || patch ? `${major}.${minor}.${patch}` : major} or later`,
  );
  const wanted = lines.length > 1 ? `${lines.slice(0, -1).join(', ')} or ${lines[lines.length - 1]}` : lines[0];
  console.error(
    `todo-api needs Node.js ${wanted}; this is ${process.version}. ` +
      'Install Node 24 LTS from https://nodejs.org/en/download (or `nvm install 24`), then run the command again.',
  );
  process.exit(1);
}
