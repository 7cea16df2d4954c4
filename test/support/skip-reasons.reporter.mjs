/**
 * Adds to Jest's summary why tests were skipped: a skipped block carries its reason in its title,
 * `… (skipped: <reason>)` (test/support/redis-server.ts), and this prints each reason once with
 * the number of tests it skipped, e.g. `8 tests skipped: redis-server is not on PATH; install it with …`.
 */
export default class SkipReasonsReporter {
  onRunComplete(_contexts, results) {
    const counts = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending') continue;
        const reason = test.ancestorTitles.map((title) => /\(skipped: (.+)\)$/.exec(title)?.[1]).find(Boolean);
        if (reason) counts.set(reason, (counts.get(reason) ?? 0) + 1);
      }
    }
    for (const [reason, count] of counts) process.stderr.write(`${count} test${count === 1 ? '' : 's'} skipped: ${reason}\n`);
  }
}
