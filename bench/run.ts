/**
 * `npm run bench`: every benchmark, printed as one table. Figures are compared with a baseline measured
 * in the same run where one exists; nothing here is asserted in the test suite.
 * `npm run bench -- intake startup` runs a subset.
 */
import { intakeBench } from './intake-bench.js';
import { startupBench } from './startup-bench.js';
import { diagnoseBench } from './diagnose-bench.js';
import { soakBench } from './soak-bench.js';
import { enrichBench } from './enrich-bench.js';
import { scrubBench } from './scrub-bench.js';
import { pipelineBench } from './pipeline-bench.js';
import { heapBench } from './heap-bench.js';
import { slowlorisBench } from './slowloris-bench.js';
import { leaderHandoverBench } from './leader-handover-bench.js';
import { latencyBench } from './latency-bench.js';
import { storeBench } from './store-bench.js';
import { replicasBench } from './replicas-bench.js';
import { serialIntakeBench } from './serial-intake-bench.js';
import { idleWatchBench } from './idle-watch-bench.js';
import { incidentPageBench } from './incident-page-bench.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const benches: { name: string; run: () => Promise<BenchRow[]> }[] = [
  { name: 'intake', run: intakeBench },
  { name: 'startup', run: startupBench },
  { name: 'diagnose', run: () => diagnoseBench() },
  { name: 'enrich', run: async () => [...scrubBench(), ...(await enrichBench())] },
  { name: 'pipeline', run: pipelineBench },
  { name: 'soak', run: soakBench },
  { name: 'heap', run: heapBench },
  { name: 'slowloris', run: slowlorisBench },
  { name: 'handover', run: leaderHandoverBench },
  { name: 'latency', run: latencyBench },
  { name: 'store', run: storeBench },
  { name: 'replicas', run: replicasBench },
  { name: 'serial', run: serialIntakeBench },
  { name: 'idle', run: idleWatchBench },
  { name: 'incident-page', run: incidentPageBench },
];

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const bench of benches) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  process.stderr.write(`running ${bench.name}...\n`);
  rows.push(...(await bench.run()));
}
printRows(rows);
