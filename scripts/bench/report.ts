/** The report: the median round of each route, the side measurements, and how they compare with the targets. */
import type { TokenFormat } from '../../src/auth/tokens/key-files.js';
import { BCRYPT_ROUNDS, COMPARE_CONCURRENCY, CONNECTIONS, PROBE_RATE, ROUNDS } from './config.js';
import { median, type RouteResult } from './load.js';

const TARGETS = {
  'GET /todos?limit=20': 2_240,
  'GET /users/me': 3_500,
  'POST /auth/refresh': 600,
  loginEfficiency: 0.9,
  probeP99DuringLoginMs: 25,
  peakRssMb: 300,
};

export interface Report {
  tokenFormat: TokenFormat;
  routes: Record<string, { rps: number; p50: number; p99: number; errors: number; non2xx: number }>;
  bcryptComparePerSec: number;
  loginEfficiency: number;
  probeP99DuringLoginMs: number;
  peakRssMb: number;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
export const round2 = (n: number) => Math.round(n * 100) / 100;

export function buildReport(routes: Map<string, RouteResult>, extra: Omit<Report, 'routes'>): Report {
  const report: Report = { routes: {}, ...extra };
  for (const [name, result] of routes) {
    report.routes[name] = {
      rps: round1(result.median.rps),
      p50: round2(result.median.p50),
      p99: round2(result.median.p99),
      errors: result.errors,
      non2xx: result.non2xx,
    };
  }
  return report;
}

export function printReport(report: Report, probe: { samples: number; errors: number; non2xx: number }): void {
  const lines = [
    `| route | req/s | p50 ms | p99 ms | errors | non-2xx |`,
    `|---|---:|---:|---:|---:|---:|`,
    ...Object.entries(report.routes).map(
      ([name, r]) => `| \`${name}\` | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`,
    ),
  ];
  console.log(`\n${lines.join('\n')}\n`);
  console.log(`- TOKEN_FORMAT=${report.tokenFormat}, bcrypt cost ${BCRYPT_ROUNDS}, ${CONNECTIONS} connections, median of ${ROUNDS} rounds (errors/non-2xx summed over all rounds)`);
  console.log(`- raw bcrypt.compare: ${report.bcryptComparePerSec} /s (concurrency ${COMPARE_CONCURRENCY})`);
  console.log(`- login efficiency (login req/s ÷ compare/s): ${report.loginEfficiency}`);
  console.log(
    `- probe p99 during login flood: ${report.probeP99DuringLoginMs} ms (${probe.samples} samples at ${PROBE_RATE}/s, errors ${probe.errors}, non-2xx ${probe.non2xx})`,
  );
  console.log(`- server peak RSS (VmHWM): ${report.peakRssMb} MB\n`);

  const checks: [string, boolean, string][] = [];
  for (const name of ['GET /todos?limit=20', 'GET /users/me', 'POST /auth/refresh'] as const) {
    const rps = report.routes[name]?.rps ?? 0;
    checks.push([`${name} ≥ ${TARGETS[name]} req/s`, rps >= TARGETS[name], `${rps}`]);
  }
  checks.push([`login ≥ ${TARGETS.loginEfficiency * 100}% of compare/s`, report.loginEfficiency >= TARGETS.loginEfficiency, `${report.loginEfficiency}`]);
  checks.push([`probe p99 < ${TARGETS.probeP99DuringLoginMs} ms`, report.probeP99DuringLoginMs < TARGETS.probeP99DuringLoginMs, `${report.probeP99DuringLoginMs}`]);
  checks.push([`peak RSS < ${TARGETS.peakRssMb} MB`, report.peakRssMb < TARGETS.peakRssMb, `${report.peakRssMb}`]);
  for (const [label, ok, actual] of checks) console.log(`${ok ? 'PASS' : 'MISS'}  ${label}  (got ${actual})`);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A service process against the ceiling, in the same rounds. */
export interface SideVersusCeiling {
  /** Medians over the rounds. */
  rps: number;
  p99: number;
  /** Median over the rounds of that round's req/s ÷ the ceiling's. */
  ratio: number;
  /** Median over the rounds of that round's p99 ÷ the ceiling's. */
  p99Ratio: number;
  /**
   * Median over the rounds of requests per CPU-second of its own process ÷ the ceiling's (Postgres
   * not counted); null where /proc is missing. Informative, not a target.
   */
  cpuRatio: number | null;
}

/** The ratios at the top level are the service's as it ships, the ones the targets judge. */
export interface CeilingRoute extends Omit<SideVersusCeiling, 'rps' | 'p99'> {
  /** Medians over the rounds. */
  service: { rps: number; p99: number };
  ceiling: { rps: number; p99: number };
  target: number;
  p99Target: number;
  /**
   * The same build with ACCESS_TOKEN_CACHE_SIZE=0, in the same rounds: it verifies the signature on
   * every request, as the ceiling does, so its ratio is the framework's cost alone. Not a target.
   */
  uncached: SideVersusCeiling;
  /** `pgCpuMsPerRequest`: CPU of the Postgres backends serving that side, per request (null when unreadable). */
  rounds: Record<'service' | 'uncached' | 'ceiling', { rps: number; p99: number; cpuMsPerRequest: number | null; pgCpuMsPerRequest: number | null }>[];
}

export type CeilingReport =
  | { skipped: string }
  | {
      ceilingDir: string;
      /** The service's TOKEN_FORMAT; the ceiling always checks RS256 JWTs. */
      serviceTokenFormat: TokenFormat;
      pinning: { serverCpu: number; loadCpu: number } | { unpinned: string };
      connections: number;
      rounds: number;
      roundSeconds: number;
      warmupSeconds: number;
      /** os.loadavg() around the measured runs: how shared the machine was. */
      loadAverage: { before: number[]; after: number[] };
      routes: Record<string, CeilingRoute>;
    };

export function printCeilingReport(report: CeilingReport): void {
  if ('skipped' in report) {
    console.log(`\nComparison with the ceiling SKIPPED: ${report.skipped}\n`);
    return;
  }
  const where =
    'unpinned' in report.pinning
      ? `unpinned (${report.pinning.unpinned})`
      : `both servers on CPU ${report.pinning.serverCpu}, load generator on CPU ${report.pinning.loadCpu}`;
  const lines = [
    `| route | service req/s | ceiling req/s | ratio | target | service p99 ms | ceiling p99 ms | p99 ratio | target | CPU ratio |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
    ...Object.entries(report.routes).flatMap(([name, r]) => [
      `| \`${name}\` | ${r.service.rps.toFixed(1)} | ${r.ceiling.rps.toFixed(1)} | ${r.ratio.toFixed(3)} | ≥ ${r.target} | ${r.service.p99} | ${r.ceiling.p99} | ${r.p99Ratio.toFixed(2)} | ≤ ${r.p99Target} | ${r.cpuRatio?.toFixed(3) ?? 'n/a'} |`,
      `| \`${name}\`, cache off | ${r.uncached.rps.toFixed(1)} | ${r.ceiling.rps.toFixed(1)} | ${r.uncached.ratio.toFixed(3)} | | ${r.uncached.p99} | ${r.ceiling.p99} | ${r.uncached.p99Ratio.toFixed(2)} | | ${r.uncached.cpuRatio?.toFixed(3) ?? 'n/a'} |`,
    ]),
  ];
  console.log(`\nSide by side with the ceiling (${report.ceilingDir}), service with TOKEN_FORMAT=${report.serviceTokenFormat}:\n\n${lines.join('\n')}\n`);
  console.log(
    `- ${report.connections} connections, ${where}; ${report.rounds} interleaved rounds of ${report.roundSeconds} s after a ${report.warmupSeconds} s warm-up per server and route`,
  );
  console.log(`- ratios are medians of per-round ratios; req/s and p99 columns are medians over the rounds`);
  console.log(`- CPU ratio: the service's requests per CPU-second of its own process ÷ the ceiling's (Postgres not counted)`);
  console.log(
    `- "cache off": the same build with ACCESS_TOKEN_CACHE_SIZE=0, in the same rounds; it verifies the token's signature on every request as the ceiling does, where the service as configured verifies it once: its ratio is the framework's cost alone`,
  );
  for (const [name, r] of Object.entries(report.routes)) {
    // Their spread says how much the machine moved under the run: a wide one calls for more rounds.
    const perRound = (of: (round: CeilingRoute['rounds'][number]) => number) => r.rounds.map((round) => of(round).toFixed(2)).join(' ');
    for (const side of ['service', 'uncached'] as const) {
      console.log(
        `- ${name}${side === 'uncached' ? ', cache off,' : ''} per round: req/s ratios ${perRound((x) => x[side].rps / x.ceiling.rps)}; p99 ratios ${perRound((x) => x[side].p99 / Math.max(x.ceiling.p99, 1))}` +
          (r.cpuRatio === null ? '' : `; CPU ratios ${perRound((x) => (x.ceiling.cpuMsPerRequest ?? NaN) / (x[side].cpuMsPerRequest ?? NaN))}`),
      );
    }
  }
  for (const [name, r] of Object.entries(report.routes)) {
    const µs = (side: 'service' | 'uncached' | 'ceiling', of: 'cpuMsPerRequest' | 'pgCpuMsPerRequest') => {
      const values = r.rounds.map((round) => round[side][of]).filter((v): v is number => v !== null);
      return values.length === 0 ? 'n/a' : `${Math.round(median(values) * 1000)} µs`;
    };
    console.log(
      `- ${name} CPU per request, median over rounds (process / Postgres backends): service ${µs('service', 'cpuMsPerRequest')} / ${µs('service', 'pgCpuMsPerRequest')}, cache off ${µs('uncached', 'cpuMsPerRequest')} / ${µs('uncached', 'pgCpuMsPerRequest')}, ceiling ${µs('ceiling', 'cpuMsPerRequest')} / ${µs('ceiling', 'pgCpuMsPerRequest')}`,
    );
  }
  console.log(`- load average (1/5/15 min) before ${report.loadAverage.before.join(' ')}, after ${report.loadAverage.after.join(' ')}\n`);
  for (const [name, r] of Object.entries(report.routes)) {
    console.log(`${r.ratio >= r.target ? 'PASS' : 'MISS'}  ${name} req/s ≥ ${r.target} × the ceiling's  (got ${r.ratio})`);
    console.log(`${r.p99Ratio <= r.p99Target ? 'PASS' : 'MISS'}  ${name} p99 ≤ ${r.p99Target} × the ceiling's  (got ${r.p99Ratio})`);
  }
}
