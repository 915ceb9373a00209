/**
 * Watchers handover (issue 17): two built `serve` replicas elect the watchers' holder through a Lease on
 * the Kubernetes API test server; the holder is SIGKILLed as a hook pod fails, and the survivor must take
 * the Lease over and capture the pod. Measured: kill → the survivor holds the Lease, and kill → the pod is
 * captured, against the Lease duration (the bound: a dead holder keeps the others out that long). Lease
 * 15 s, renew deadline 10 s, retry 2.5 s, 3 rounds; `BENCH_LEASE_SECONDS` changes the duration.
 *
 *   npm run build && node --import tsx bench/leader-handover-bench.ts
 */
import { pathToFileURL } from 'node:url';
import { watchersHandover } from '../test/support/watchers-handover.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const ROUNDS = 3;

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const s = (ms: number | undefined): string => `${((ms ?? 0) / 1000).toFixed(2)} s`;
  return `${s(sorted[0])} / ${s(sorted[Math.floor(sorted.length / 2)])} / ${s(sorted[sorted.length - 1])}`;
}

/** Rounds of kill-the-holder; min / median / max of each figure. */
export async function leaderHandoverBench(): Promise<BenchRow[]> {
  const leaseSeconds = Number(process.env.BENCH_LEASE_SECONDS ?? 15);
  const lead: number[] = [];
  const capture: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const teardowns: (() => unknown)[] = [];
    try {
      const result = await watchersHandover({ teardown: (fn) => void teardowns.push(fn) }, { leaseSeconds, built: true });
      lead.push(result.killToLeadMs);
      capture.push(result.killToCaptureMs);
    } finally {
      for (const fn of teardowns.reverse()) await fn();
    }
  }
  const note = `min / median / max of ${ROUNDS} rounds; bound: the Lease duration, ${leaseSeconds} s (+ one retry period, ${(leaseSeconds / 6).toFixed(1)} s)`;
  return [
    { figure: 'watchers handover: holder SIGKILLed → survivor holds the Lease', value: spread(lead), note },
    { figure: 'watchers handover: holder SIGKILLed as a hook pod fails → survivor captured it', value: spread(capture), note: 'same rounds; the survivor lists the pods when its watch starts' },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await leaderHandoverBench());
}
