/**
 * Idle cost of watching Job pods (issue 21): built `serve` processes, each watching its own Kubernetes API
 * test server of N finished Job pods (IDLE_PODS, default 1,000 and 5,000) with nothing happening, against
 * the same process with `kubernetes.enabled: false`, all measured over the same IDLE_WINDOW_S (default 10)
 * second windows, IDLE_ROUNDS (default 3) of them, after IDLE_SETTLE_S (default 5) seconds for the first
 * list to settle:
 *  - CPU, % of one core: the process's threads' run time (/proc/<pid>/task/<tid>/schedstat, in ns);
 *  - RSS at the end of each window (/proc/<pid>/status);
 *  - bytes/s the API server wrote to the process (watch events, bookmarks, relists).
 * Goal: keep RSS flat; halve CPU per 1,000 pods (the issue measured 0.75 % of a core, 34 KiB/s).
 * Run: node --import tsx bench/idle-watch-bench.ts (after `npm run build`)
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnService, type BenchServer } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { median, spread, until } from './latency-bench.js';
import { KubeApiServer } from '../test/support/kube-api-server.js';
import { hookJob, jobPod, states } from '../test/support/kube-fixtures.js';

const SIZES = (process.env.IDLE_PODS ?? '1000,5000').split(',').map(Number);
const ROUNDS = Number(process.env.IDLE_ROUNDS ?? 3);
const WINDOW_S = Number(process.env.IDLE_WINDOW_S ?? 10);
const SETTLE_S = Number(process.env.IDLE_SETTLE_S ?? 5);

/** Run time of every thread of `pid`, in ns (threads that ended are not counted: none do while idle). */
function cpuNs(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch (err) {
      // A thread that ended between the listing and the read has nothing left to count.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
  return ns;
}

function rssMiB(pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS in /proc/${pid}/status: did the service exit?`);
  return Number(kib) / 1024;
}

interface Watched {
  label: string;
  pods: number;
  kube: KubeApiServer | null;
  server: BenchServer;
  cpu: number[];
  rss: number[];
  bytesPerS: number[];
  /** Bytes the API server wrote before the first window: the first lists and the watches' openings. */
  startBytes: number;
}

async function start(dir: string, pods: number): Promise<Watched> {
  const dataDir = join(dir, `data-${pods}`);
  mkdirSync(dataDir);
  const label = pods === 0 ? 'kubernetes disabled' : `${pods.toLocaleString('en')} Job pods`;
  if (pods === 0) {
    const server = await spawnService(dataDir, JSON.stringify({ kubernetes: { enabled: 'false' }, logging: { level: 'warn' } }));
    return { label, pods, kube: null, server, cpu: [], rss: [], bytesPerS: [], startBytes: 0 };
  }
  const kube = await KubeApiServer.start();
  for (let i = 0; i < pods; i += 1) {
    const job = kube.putJob(hookJob({ name: `cron-${i}`, hookType: null, succeeded: 1 }));
    kube.putPod(jobPod(job, { name: `cron-${i}-p`, phase: 'Succeeded', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(0, 'Completed') }] }));
  }
  const kubeconfig = kube.writeKubeconfig(dataDir);
  // The shipped defaults otherwise (capture and the stuck-hook watcher on).
  const server = await spawnService(dataDir, JSON.stringify({ kubernetes: { enabled: 'true', clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig }] }, logging: { level: 'warn' } }));
  await until(`the watch on ${label}`, () => kube.openWatches > 0, 120_000);
  return { label, pods, kube, server, cpu: [], rss: [], bytesPerS: [], startBytes: 0 };
}

function pidOf(w: Watched): number {
  const pid = w.server.child.pid;
  if (pid === undefined) throw new Error(`the ${w.label} service has no pid: it did not start`);
  return pid;
}

/** Run the idle-watch benchmark and return printable rows. */
export async function idleWatchBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-idle-'));
  const all: Watched[] = [];
  try {
    for (const pods of [0, ...SIZES]) all.push(await start(dir, pods));
    await sleep(SETTLE_S * 1000);
    for (const w of all) w.startBytes = w.kube?.bytesSent ?? 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      // All processes over the same window: a noisy neighbour hits each alike.
      const before = all.map((w) => ({ cpu: cpuNs(pidOf(w)), bytes: w.kube?.bytesSent ?? 0, at: process.hrtime.bigint() }));
      await sleep(WINDOW_S * 1000);
      all.forEach((w, i) => {
        const b = before[i];
        if (b === undefined) return;
        const seconds = Number(process.hrtime.bigint() - b.at) / 1e9;
        w.cpu.push(((cpuNs(pidOf(w)) - b.cpu) / 1e9 / seconds) * 100);
        w.rss.push(rssMiB(pidOf(w)));
        w.bytesPerS.push(((w.kube?.bytesSent ?? 0) - b.bytes) / seconds);
      });
    }
    const base = all[0];
    if (base === undefined) throw new Error('idle bench: no baseline process');
    return all.map((w) => {
      const perThousand = w.pods / 1000;
      const extra =
        w.pods === 0
          ? 'baseline'
          : `per 1,000 pods over the baseline (medians): CPU ${((median(w.cpu) - median(base.cpu)) / perThousand).toFixed(2)} % of a core, ` +
            `RSS ${((median(w.rss) - median(base.rss)) / perThousand).toFixed(1)} MiB, ${(median(w.bytesPerS) / perThousand / 1024).toFixed(2)} KiB/s; ` +
            `first list and watch ${(w.startBytes / 1024 / 1024).toFixed(1)} MiB; ` +
            'goal: RSS flat, CPU ≤ 0.375 % of a core per 1,000 (half of 0.75 %)';
      return {
        figure: `idle, nothing happening, ${ROUNDS} windows of ${WINDOW_S} s: ${w.label}`,
        value: `CPU ${spread(w.cpu, '% of a core', 2)}; RSS ${spread(w.rss, 'MiB', 0)}; API → service ${spread(w.bytesPerS, 'B/s', 0)}`,
        note: extra,
      };
    });
  } finally {
    await Promise.allSettled(all.map((w) => w.server.stop()));
    await Promise.allSettled(all.flatMap((w) => (w.kube === null ? [] : [w.kube.close()])));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  printRows(await idleWatchBench());
}
