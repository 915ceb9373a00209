/**
 * Leak/soak run: 20,000 alerts through the whole pipeline of a service process (intake → store → worker →
 * sinks), sampling its RSS and open handles from its own /metrics as it goes. Flat means no leak.
 * SOAK_ALERTS changes the count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_TOKEN, spawnService } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';

const ALERTS = Number(process.env.SOAK_ALERTS ?? 20_000);
const CONCURRENCY = 16;
const SAMPLES = 10;

interface Sample {
  sent: number;
  rssMiB: number;
  handles: number;
  queued: number;
}

async function sample(url: string, sent: number): Promise<Sample> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const queued = [...text.matchAll(/^hook_alerts_queue_depth\{queue="\w+"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  return {
    sent,
    rssMiB: read('hook_alerts_process_resident_memory_bytes') / 1024 / 1024,
    handles: read('hook_alerts_nodejs_active_handles_total'),
    queued,
  };
}

/** Run the soak and return printable rows. */
export async function soakBench(): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hook-alerts-soak-'));
  const server = await spawnService(dataDir, 'logging: { level: warn }\n');
  const samples: Sample[] = [];
  try {
    let next = 0;
    const every = Math.floor(ALERTS / SAMPLES);
    const post = async (): Promise<void> => {
      while (next < ALERTS) {
        const i = next++;
        const res = await fetch(`${server.url}/v1/argocd/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(failedBodyForOperation(i, `soak-app-${i % 50}`)),
        });
        if (res.status !== 202) throw new Error(`alert ${i}: HTTP ${res.status} ${await res.text()}`);
        if (i % every === 0) samples.push(await sample(server.url, i));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, post));
    for (let waited = 0; waited < 600; waited++) {
      const s = await sample(server.url, ALERTS);
      if (s.queued === 0) {
        samples.push(s);
        break;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const first = samples[1] ?? samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined) throw new Error('no samples taken');
  const maxRss = Math.max(...samples.map((s) => s.rssMiB));
  return [
    {
      figure: `soak: RSS after ${first.sent} alerts → after ${last.sent} (drained: ${last.queued === 0})`,
      value: `${first.rssMiB.toFixed(0)} → ${last.rssMiB.toFixed(0)} MiB (max ${maxRss.toFixed(0)})`,
      note: 'flat means no leak',
    },
    {
      figure: 'soak: active handles, first sample → last',
      value: `${first.handles} → ${last.handles}`,
      note: 'flat means no leaked sockets or timers',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await soakBench());
}
