/**
 * `npm run bench`: every benchmark, printed as one table. Figures are ratios against a baseline measured
 * in the same run where one exists; nothing here is asserted in the test suite.
 */
import { intakeBench } from './intake-bench.js';

const benches: { name: string; run: () => Promise<string[][]> }[] = [{ name: 'intake', run: intakeBench }];

const only = process.argv.slice(2);
const rows: string[][] = [];
for (const bench of benches) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  process.stderr.write(`running ${bench.name}...\n`);
  rows.push(...(await bench.run()));
}
console.table(rows.map(([name, a, b, c, d, note]) => ({ name, 'req/s': a, 'p50 ms': b, 'p99 ms': c, errors: d, note })));
