/** The report: the median round of each route, the side measurements, and how they compare with the targets. */
import type { TokenFormat } from '../../src/auth/tokens/key-files.js';
import { BCRYPT_ROUNDS, COMPARE_CONCURRENCY, CONNECTIONS, PROBE_RATE, ROUNDS } from './config.js';
import type { RouteResult } from './load.js';

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
