/**
 * Serial intake latency (issue 21): Argo CD's notifications controller sends one webhook at a time and waits
 * for each answer, so a slow answer delays every other notification. SERIAL_PROBES (default 200) webhooks,
 * one in flight at a time, against
 *  - a bare fastify echo route (the baseline),
 *  - the service with `worker.enabled: false` (intake alone),
 *  - the service while its worker delivers a backlog of BACKLOG (default 300) alerts to the Slack API test
 *    server, each enriched from the Kubernetes API test server (3 pods × 200 lines), with its pipeline in its
 *    own thread (the default) and, as the before-figure of the same run, with `worker.thread: false`,
 * in SERIAL_ROUNDS (default 3) interleaved rounds, the probe on a thread of its own (this process also runs
 * the API test servers); p50 / p99 / max of each round, printed as min / median /
 * max over the rounds. Goal: p99 ≤ 2× the echo's p99 of the same round, max < 25 ms.
 * Run: node --import tsx bench/serial-intake-bench.ts (after `npm run build`)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { BENCH_TOKEN, spawnEchoServer, spawnService, type BenchServer } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { postEvent } from './support/post-event.js';
import { putFailedHookJob, serviceRig, spread, until } from './latency-bench.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';

const ROUNDS = Number(process.env.SERIAL_ROUNDS ?? 3);
const PROBES = Number(process.env.SERIAL_PROBES ?? 200);
const BACKLOG = Number(process.env.BACKLOG ?? 300);
const GOAL_MAX_MS = 25;

interface Latencies {
  p50: number;
  p99: number;
  max: number;
  /** Incident ids the service answered with (none from the echo). */
  incidents: string[];
}

let operation = 1_000_000;

// The probe runs on an event loop of its own: this process's loop also serves the Kubernetes and Slack
// API test servers the delivering service calls, and their work must not show up as the service's latency.
const PROBE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  // A new thread's first requests compile the client and open the connection (about 40 ms): not the server's time.
  for (let i = 0; i < 20; i += 1) await (await fetch(workerData.url + '/healthz')).arrayBuffer();
  const times = [];
  const incidents = [];
  for (const body of workerData.bodies) {
    const started = performance.now();
    const res = await fetch(workerData.url + '/v1/argocd/events', {
      method: 'POST',
      headers: { authorization: 'Bearer ' + workerData.token, 'content-type': 'application/json' },
      body,
    });
    const answer = await res.json();
    times.push(performance.now() - started);
    if (typeof answer.incident === 'string') incidents.push(answer.incident);
    if (res.status !== 202) throw new Error('serial probe: HTTP ' + res.status + ' from ' + workerData.url + '; is the build current (npm run build)?');
  }
  parentPort.postMessage({ times, incidents });
})();
`;

/** `PROBES` webhooks, each a new event, one in flight at a time, sent from a thread of their own; answer times in ms. */
async function probe(url: string): Promise<Latencies> {
  const bodies = Array.from({ length: PROBES }, (_, i) => JSON.stringify(failedBodyForOperation(operation++, `serial-${i % 23}`)));
  const thread = new Worker(PROBE_THREAD, { eval: true, workerData: { url, token: BENCH_TOKEN, bodies } });
  const { times, incidents } = await new Promise<{ times: number[]; incidents: string[] }>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
  });
  await thread.terminate();
  const s = times.sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: at(1), incidents };
}

function fmt(rounds: Latencies[]): string {
  return `p50 ${spread(rounds.map((r) => r.p50), 'ms', 1)}; p99 ${spread(rounds.map((r) => r.p99), 'ms', 1)}; max ${spread(rounds.map((r) => r.max), 'ms', 1)}`;
}

/** Run the serial intake benchmark and return printable rows. */
export async function serialIntakeBench(): Promise<BenchRow[]> {
  const rig = await serviceRig();
  const dataDir = mkdtempSync(join(tmpdir(), 'hook-alerts-serial-'));
  const servers: BenchServer[] = [];
  try {
    putFailedHookJob(rig.kube);
    const echo = await spawnEchoServer();
    servers.push(echo);
    const intakeOnly = await spawnService(dataDir, 'worker: { enabled: false }\nlogging: { level: warn }\n');
    servers.push(intakeOnly);
    const delivering = await rig.start({ capture: { enabled: false } });
    // The same service with its pipeline on the HTTP event loop, as before issue 21's item 1: the "before" of the same run.
    const deliveringInline = await rig.start({ capture: { enabled: false } }, { thread: false });
    // Warm every process's hot path once, as the intake bench does.
    for (const s of [echo, intakeOnly]) await probe(s.url);
    for (const s of [delivering, deliveringInline]) {
      const warmUp = await probe(s.url);
      await until('the warm-up posts', () => warmUp.incidents.every((i) => rig.posted(i)), 300_000);
    }
    const results = { echo: [] as Latencies[], intakeOnly: [] as Latencies[], delivering: [] as Latencies[], deliveringInline: [] as Latencies[] };
    const postedDuringProbe: number[] = [];
    const drainSeconds: number[] = [];
    /** A backlog of BACKLOG new alerts accepted 8 at a time, then the probe while the worker delivers them. */
    const probeWhileDelivering = async (server: BenchServer, round: number, into: Latencies[], record: boolean): Promise<void> => {
      const backlogStarted = performance.now();
      const incidents: string[] = [];
      for (let i = 0; i < BACKLOG; i += 8) {
        const batch = Array.from({ length: Math.min(8, BACKLOG - i) }, () => postEvent(server.url, failedBodyForOperation(operation++, `backlog-${round}`)));
        incidents.push(...(await Promise.all(batch)));
      }
      const postedBacklog = (): number => incidents.filter((i) => rig.posted(i)).length;
      const atProbe = postedBacklog();
      const during = await probe(server.url);
      into.push(during);
      if (record) postedDuringProbe.push(postedBacklog() - atProbe);
      await until('the backlog delivered', () => [...incidents, ...during.incidents].every((i) => rig.posted(i)), 600_000);
      if (record) drainSeconds.push((performance.now() - backlogStarted) / 1000);
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      results.echo.push(await probe(echo.url));
      results.intakeOnly.push(await probe(intakeOnly.url));
      await probeWhileDelivering(delivering, round, results.delivering, true);
      await probeWhileDelivering(deliveringInline, round, results.deliveringInline, false);
    }
    const ratios = results.delivering.map((r, i) => r.p99 / (results.echo[i]?.p99 ?? Number.NaN));
    const ratioMet = ratios.filter((r) => r <= 2).length;
    const maxMet = results.delivering.filter((r) => r.max < GOAL_MAX_MS).length;
    return [
      { figure: `serial intake, one request in flight (${PROBES} a round): bare fastify echo`, value: fmt(results.echo), note: 'baseline' },
      { figure: 'serial intake: the service, worker.enabled false', value: fmt(results.intakeOnly), note: 'baseline (intake alone)' },
      {
        figure: `serial intake: worker.thread false (the pipeline on the HTTP event loop) while it delivers a backlog of ${BACKLOG}`,
        value: fmt(results.deliveringInline),
        note: `baseline (before issue 21 item 1); p99 / echo p99 per round ${results.deliveringInline.map((r, i) => (r.p99 / (results.echo[i]?.p99 ?? Number.NaN)).toFixed(1)).join(' / ')}`,
      },
      {
        figure: `serial intake: the service while its worker delivers a backlog of ${BACKLOG} alerts to Slack (3 pods × 200 lines each)`,
        value: fmt(results.delivering),
        note:
          `p99 / echo p99 per round ${ratios.map((r) => r.toFixed(1)).join(' / ')}: goal ≤ 2× ${ratioMet === ROUNDS ? 'met' : `not met (${ratioMet} of ${ROUNDS} rounds)`}; ` +
          `max < ${GOAL_MAX_MS} ms ${maxMet === ROUNDS ? 'met' : `not met (${maxMet} of ${ROUNDS} rounds)`}; ` +
          `backlog alerts posted during the probe ${postedDuringProbe.join(' / ')}; backlog and probes delivered in ${drainSeconds.map((s) => s.toFixed(1)).join(' / ')} s`,
      },
    ];
  } finally {
    await Promise.allSettled(servers.map((s) => s.stop()));
    await rig.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  printRows(await serialIntakeBench());
}
