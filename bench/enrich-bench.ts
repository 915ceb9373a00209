// Enrichment benchmark: one enrichment of a failed hook with 3 pods × 200 log lines against the test
// Kubernetes API server (real HTTP on 127.0.0.1, through the service's Kubernetes client). The scrubber's
// figures are in bench/scrub-bench.ts.
// Run: node --import tsx bench/enrich-bench.ts
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiServer } from '../test/support/kube-api-server.js';
import { hookJob, jobPod, states, event } from '../test/support/kube-fixtures.js';
import { hookFailedEvent } from '../test/support/kube-enrich-setup.js';
import { ClusterRegistry } from '../src/enrich/cluster-registry.js';
import { kubernetesConfigSchema } from '../src/enrich/enrich-config.js';
import { KubeEnricher } from '../src/enrich/kube-enricher.js';
import { createScrubber } from '../src/scrub/scrub.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { realisticLog } from './scrub-bench.js';


function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

/** Time of one enrichment (3 pods × 200 lines, Job and pod events) against the test API server. */
export async function enrichBench(): Promise<BenchRow[]> {
  const kube = await KubeApiServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'enrich-bench-'));
  try {
    const kubeconfig = kube.writeKubeconfig(dir);
    const config = kubernetesConfigSchema.parse({ enabled: 'true' });
    const { registry } = ClusterRegistry.fromConfig(config, { KUBECONFIG: kubeconfig, HOME: dir });
    if (registry === null) throw new Error('kubeconfig not loaded');
    const enricher = new KubeEnricher({ registry, bounds: config.bounds, scrub: createScrubber(), captures: null, captureEnabled: false, metrics: null });
    const job = kube.putJob(hookJob({ failed: 3 }));
    kube.putEvent(event(job, { reason: 'BackoffLimitExceeded', type: 'Warning', message: 'Job has reached the specified backoff limit' }));
    for (let p = 0; p < 3; p += 1) {
      const name = `db-migrate-b${p}`;
      const pod = kube.putPod(jobPod(job, { name, phase: 'Failed', createdAt: `2026-11-20T14:0${p}:10Z`, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
      kube.putEvent(event(pod, { reason: 'Started', message: 'Started container migrate' }));
      kube.setLog('payments', name, 'migrate', `${realisticLog().split('\n').slice(0, 200).join('\n')}\n`);
    }
    const ev = hookFailedEvent();
    for (let i = 0; i < 5; i += 1) await enricher.enrich(ev, { signal: AbortSignal.timeout(15_000) });
    const samples: number[] = [];
    for (let i = 0; i < 40; i += 1) {
      const start = performance.now();
      await enricher.enrich(ev, { signal: AbortSignal.timeout(15_000) });
      samples.push(performance.now() - start);
    }
    const { median, p95 } = stats(samples);
    const requests = kube.requests.length / 45;
    return [
      {
        figure: 'enrich one hook: 3 pods × 200 lines (test API server)',
        value: `${median.toFixed(1)} ms`,
        note: `p95 ${p95.toFixed(1)} ms, ${requests.toFixed(0)} API calls each; deadline 15 000 ms`,
      },
    ];
  } finally {
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  printRows(await enrichBench());
}
