/**
 * Where a server's CPU went, by layer, from a V8 CPU profile (`node --cpu-prof`, e.g. through
 * `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench:quick`; plain or gzipped):
 *
 *   npx tsx scripts/bench/layers.ts <file.cpuprofile[.gz]> [requests]
 *
 * Each sample's self time goes to the innermost frame on its stack that belongs to a layer (a
 * native call such as the socket write counts for the code that made it); frames of node itself
 * count as "node HTTP/net/timers", or as start-up when module loading is on the stack. With the
 * number of requests served, it also prints microseconds per request. The profiler samples wall
 * time while the thread runs, so compare shares within a profile; absolute times move with the
 * machine and the profiler's own cost.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins, tested on each frame from the innermost outwards. */
const LAYERS: [string, (url: string, fn: string) => boolean][] = [
  ['logging', (url, fn) => /pino|sonic-boom/.test(url) || fn === 'writeString' || fn === 'logRequest'],
  ['metrics', (url) => /prometheus/.test(url)],
  ['verify', (url, fn) => /jsonwebtoken|jws|jwa|paseto|verified-tokens|token-text|\.strategy/.test(url) || fn === 'verifyOneShot'],
  ['session check', (url) => /session-state\.cache/.test(url)],
  ['passport', (url) => /passport|token\.guards/.test(url)],
  ['SQL (pg)', (url) => /node_modules\/(pg|pg-pool|pg-protocol|pg-types|postgres-[a-z]+)\/|\/database\/db\.js/.test(url)],
  ['serialisation', (url, fn) => fn === 'serialize' || /fast-json-stringify/.test(url)],
  ['security headers', (_url, fn) => fn === 'securityHeaders'],
  ['Nest', (url) => /@nestjs\/|reflect-metadata|class-validator|class-transformer|\/dist\/(users|todos|auth)\//.test(url)],
  ['Fastify', (url) => /fastify|find-my-way|avvio/.test(url)],
];

function layersOf(profile: Profile): { busy: number; byLayer: Map<string, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const byLayer = new Map<string, number>();
  let busy = 0;
  for (const [id, time] of self) {
    const fn = byId.get(id)!.callFrame.functionName;
    if (fn === '(idle)') continue;
    busy += time;
    const layer = fn === '(garbage collector)' ? 'GC' : fn === '(program)' ? '(program)' : layerOnStack(id, byId, parent);
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + time);
  }
  return { busy, byLayer };
}

/** The layer of the innermost frame from `id` outwards that has one; else node's own, or start-up. */
function layerOnStack(id: number, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  let startUp = false;
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const { url, functionName } = byId.get(at)!.callFrame;
    const layer = LAYERS.find(([, test]) => test(url, functionName));
    if (layer) return layer[0];
    startUp ||= /node:internal\/(modules|main)/.test(url);
  }
  return startUp ? 'start-up (module loading)' : 'node HTTP/net/timers';
}

const [file, requests] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx scripts/bench/layers.ts <file.cpuprofile[.gz]> [requests]');
const raw = readFileSync(file);
const { busy, byLayer } = layersOf(JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as Profile);
const perRequest = Number(requests) || 0;
console.log(`| layer | share of busy CPU |${perRequest ? ' µs per request |' : ''}`);
console.log(`|---|---:|${perRequest ? '---:|' : ''}`);
for (const [layer, time] of [...byLayer].sort((a, b) => b[1] - a[1])) {
  console.log(`| ${layer} | ${((100 * time) / busy).toFixed(1)} % |${perRequest ? ` ${(time / perRequest).toFixed(1)} |` : ''}`);
}
console.log(`\nbusy ${(busy / 1000).toFixed(0)} ms${perRequest ? ` over ${perRequest} requests` : ''}`);
