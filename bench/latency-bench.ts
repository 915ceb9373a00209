/**
 * Latency where it is felt (issue 21), with the Kubernetes API test server adding a round trip to every call
 * (`delayMs`), each figure against its baseline measured in the same run, min / median / max of the round
 * medians over LATENCY_ROUNDS (default 3) interleaved rounds:
 *  - webhook → Slack post accepted (3 pods × 200 lines) at 0 / 50 / 100 ms per call, in a service process;
 *    the round trips felt are (figure − figure at 0 ms) / delay;
 *  - capture, fail → snapshot stored, at +50 ms against the same at 0 ms;
 *  - capture right after start and after a 410 relist in a cluster of LARGE_PODS pods (default 5,000: a
 *    tenth of the 50k, so that it runs in seconds here), against the steady state at +50 ms;
 *  - 50 hook pods failing at once, then their 50 webhooks sent one at a time (as Argo CD does): time until
 *    all 50 are posted, at +50 ms against 0 ms.
 * Run: node --import tsx bench/latency-bench.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { spawnService, type BenchServer } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { postEvent } from './support/post-event.js';
import { realisticLog } from './scrub-bench.js';
import { KubeApiServer, type KubeObject } from '../test/support/kube-api-server.js';
import { hookJob, jobPod, states } from '../test/support/kube-fixtures.js';
import { SlackApiServer } from '../test/support/slack-api-server.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';
import { createEnrichment } from '../src/enrich/enrichment.js';
import { kubernetesConfigSchema, scrubConfigSchema } from '../src/enrich/enrich-config.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { Metrics } from '../src/metrics.js';

const ROUNDS = Number(process.env.LATENCY_ROUNDS ?? 3);
const LARGE_PODS = Number(process.env.LARGE_PODS ?? 5_000);
const ALERTS_PER_ROUND = 6;
const BURST = 50;
const CHANNEL = 'C0DEPLOYS';
const LOG = `${realisticLog().split("\n").slice(0, 200).join("\n")}\n`;

/** The middle value (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** min / median / max of the round medians. */
export function spread(rounds: number[], unit = 'ms', digits = 0): string {
  const s = [...rounds].sort((a, b) => a - b);
  return `${(s[0] ?? Number.NaN).toFixed(digits)} / ${median(s).toFixed(digits)} / ${(s[s.length - 1] ?? Number.NaN).toFixed(digits)} ${unit}`;
}

/** Poll `done` every millisecond until it holds; throws naming `what` after `maxMs`. */
export async function until(what: string, done: () => boolean | Promise<boolean>, maxMs = 120_000): Promise<void> {
  const giveUp = performance.now() + maxMs;
  while (!(await done())) {
    if (performance.now() > giveUp) throw new Error(`latency bench gave up waiting: ${what}`);
    await sleep(1);
  }
}

function failPod(kube: KubeApiServer, namespace: string, name: string): void {
  kube.update('pods', namespace, name, (p) => {
    (p.status as Record<string, unknown>).phase = 'Failed';
    (p.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses = [
      { name: 'migrate', image: 'ghcr.io/example-org/payments-migrations:2.41.0', ready: false, started: false, restartCount: 0, state: states.terminated(1, 'Error'), lastState: {} },
    ];
  });
}

function runningHookPod(kube: KubeApiServer, jobName: string, hook = true): KubeObject {
  const job = kube.putJob(hookJob({ name: jobName, active: 1, ...(hook ? {} : { hookType: null }) }));
  const pod = kube.putPod(jobPod(job, { name: `${jobName}-p`, phase: 'Running', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.running() }] }));
  kube.setLog('payments', `${jobName}-p`, 'migrate', LOG);
  return pod;
}

/** A hook-failed webhook naming the Job `jobName`, for app `app`. */
function bodyFor(i: number, app: string, jobName = 'db-migrate'): object {
  const body = failedBodyForOperation(i, app) as { operationState: { syncResult: { resources: { name: string }[] } } };
  for (const res of body.operationState.syncResult.resources) if (res.name === 'db-migrate') res.name = jobName;
  return body;
}


/** A Kubernetes API test server, a Slack API test server and service processes wired to both. */
export interface ServiceRig {
  kube: KubeApiServer;
  slack: SlackApiServer;
  /** A service process with these `kubernetes` settings besides the cluster, and these `worker` settings. */
  start(kubernetes: Record<string, unknown>, worker?: Record<string, unknown>): Promise<BenchServer>;
  posted(incident: string): boolean;
  close(): Promise<void>;
}

/** Start the test servers; `start` spawns a service on them. */
export async function serviceRig(): Promise<ServiceRig> {
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-latency-'));
  const kube = await KubeApiServer.start();
  const slack = await SlackApiServer.start({ channels: [{ id: CHANNEL, name: 'deploys', member: true }] });
  const kubeconfig = kube.writeKubeconfig(dir);
  const servers: BenchServer[] = [];
  let n = 0;
  return {
    kube,
    slack,
    start: async (kubernetes, worker = {}) => {
      const dataDir = join(dir, `data-${n++}`);
      mkdirSync(dataDir);
      // JSON is YAML too.
      const yaml = JSON.stringify({
        // The periodic hook checks (stuck, blocked, failed while running) stay off: only alert and capture paths are timed.
        kubernetes: { enabled: 'true', clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig }], stuck: { enabled: false }, blocked: { enabled: false }, failedWhileRunning: { enabled: false }, ...kubernetes },
        worker: { pollIntervalMs: 20, ...worker },
        logging: { level: 'warn' },
      });
      const server = await spawnService(dataDir, yaml, { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, SLACK_CHANNEL: CHANNEL });
      servers.push(server);
      return server;
    },
    posted: (incident) => slack.messages.some((m) => m.metadata?.event_payload.incident === incident),
    close: async () => {
      await Promise.allSettled(servers.map((s) => s.stop()));
      await Promise.allSettled([kube.close(), slack.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Job the contract bodies name (db-migrate), failed in 3 pods of 200 log lines each. */
export function putFailedHookJob(kube: KubeApiServer): void {
  const job = kube.putJob(hookJob({ failed: 3 }));
  for (const suffix of ['a1', 'b2', 'c3']) {
    kube.putPod(jobPod(job, { name: `db-migrate-${suffix}`, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
    kube.setLog('payments', `db-migrate-${suffix}`, 'migrate', LOG);
  }
}

let operation = 0;

/** Webhook → Slack post at 0 / 50 / 100 ms per API call, and at +50 ms with `bounds.concurrency: 8`. */
async function webhookToSlack(): Promise<BenchRow[]> {
  const r = await serviceRig();
  try {
    putFailedHookJob(r.kube);
    const base = await r.start({ capture: { enabled: false } });
    const wide = await r.start({ capture: { enabled: false }, bounds: { concurrency: 8 } });
    const settings = [
      { label: '0 ms', server: base, delay: 0 },
      { label: '50 ms', server: base, delay: 50 },
      { label: '100 ms', server: base, delay: 100 },
      { label: '50 ms, bounds.concurrency 8', server: wide, delay: 50 },
    ];
    const waves = new Map<string, number[]>(settings.map((s) => [s.label, []]));
    const one = async (server: BenchServer, label?: string): Promise<number> => {
      const started = performance.now();
      const from = r.kube.requests.length;
      const incident = await postEvent(server.url, failedBodyForOperation(operation++));
      await until('the Slack post', () => r.posted(incident));
      const ms = performance.now() - started;
      if (label !== undefined) waves.get(label)?.push(KubeApiServer.waves(r.kube.requests.slice(from)));
      return ms;
    };
    for (const s of [base, wide]) for (let i = 0; i < 3; i += 1) await one(s);
    const rounds = new Map<string, number[]>(settings.map((s) => [s.label, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const s of settings) {
        r.kube.delayMs = s.delay;
        const times: number[] = [];
        for (let i = 0; i < ALERTS_PER_ROUND; i += 1) times.push(await one(s.server, s.label));
        rounds.get(s.label)?.push(median(times));
      }
    }
    const at0 = median(rounds.get('0 ms') ?? []);
    return settings.map((s) => {
      const m = rounds.get(s.label) ?? [];
      const w = waves.get(s.label) ?? [];
      const trips = s.delay === 0 ? '' : `; ${((median(m) - at0) / s.delay).toFixed(1)} round trips over the 0 ms figure (median)`;
      const sequence = s.delay === 0 ? '' : `; API calls in ${median(w)} dependent waves (${Math.min(...w)}–${Math.max(...w)})`;
      return {
        figure: `webhook → Slack post, 3 pods × 200 lines, API +${s.label} per call (p50 of ${ALERTS_PER_ROUND} alerts a round)`,
        value: spread(m),
        note: `${s.delay === 50 ? 'goal ≤ 130 ms (≤ 2 waves)' : 'baseline'}${trips}${sequence}`,
      };
    });
  } finally {
    await r.close();
  }
}

/** 50 hook pods fail at once; their webhooks follow one at a time: until all 50 are posted. */
async function burst(): Promise<BenchRow[]> {
  const r = await serviceRig();
  try {
    const server = await r.start({});
    const rounds = new Map<number, number[]>([
      [0, []],
      [50, []],
    ]);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const delay of [0, 50]) {
        r.kube.delayMs = 0;
        const names = Array.from({ length: BURST }, (_, j) => `burst-${round}-${delay}-${j}`);
        for (const name of names) runningHookPod(r.kube, name);
        // Let the service's watch see them running first, as it would have.
        await sleep(500);
        r.kube.delayMs = delay;
        const started = performance.now();
        for (const name of names) failPod(r.kube, 'payments', `${name}-p`);
        const incidents: string[] = [];
        for (const name of names) incidents.push(await postEvent(server.url, bodyFor(operation++, name, name)));
        await until('all 50 posted', () => incidents.every((i) => r.posted(i)), 300_000);
        rounds.get(delay)?.push(performance.now() - started);
      }
    }
    return [0, 50].map((delay) => ({
      figure: `burst: ${BURST} hook pods fail at once, their webhooks one at a time, until all are posted, API +${delay} ms`,
      value: spread((rounds.get(delay) ?? []).map((ms) => ms / 1000), 's', 2),
      note: delay === 0 ? 'baseline' : 'goal ≤ 5 s',
    }));
  } finally {
    await r.close();
  }
}

interface CaptureRig {
  kube: KubeApiServer;
  /** Start capture (and the stuck-hook watcher) as the service does; resolves once the first list is done. */
  start(): Promise<{ stop: () => Promise<void>; captured: (job: string, pod: string) => Promise<boolean> }>;
  close(): Promise<void>;
}

async function captureRig(): Promise<CaptureRig> {
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-capture-'));
  const kube = await KubeApiServer.start();
  const kubeconfig = kube.writeKubeconfig(dir);
  return {
    kube,
    start: async () => {
      const store = SqliteStore.open(':memory:');
      const enrichment = createEnrichment(
        { kubernetes: kubernetesConfigSchema.parse({ enabled: 'true' }), scrub: scrubConfigSchema.parse({}), hooks: { types: ['PreSync', 'Sync', 'PostSync', 'SyncFail'] } },
        { store, logger: pino({ level: 'silent' }), metrics: new Metrics({ defaultMetrics: false }), onEventAccepted: () => undefined, env: { KUBECONFIG: kubeconfig, HOME: dir } },
      );
      if (enrichment === null) throw new Error('the bench kubeconfig did not load');
      const watchesBefore = kube.requests.filter((q) => q.query.watch === 'true').length;
      enrichment.start();
      await until('the first list and watch', () => kube.requests.filter((q) => q.query.watch === 'true').length > watchesBefore);
      return {
        stop: async () => {
          await enrichment.stop();
          store.close();
        },
        captured: async (job, pod) => (await enrichment.captures.forJob('in-cluster', 'payments', job, Date.now())).some((c) => c.pod.name === pod),
      };
    },
    close: async () => {
      await kube.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fail → captured for one running hook pod, in ms. */
async function captureOnce(kube: KubeApiServer, captured: (job: string, pod: string) => Promise<boolean>, job: string): Promise<number> {
  const started = performance.now();
  failPod(kube, 'payments', `${job}-p`);
  await until(`capture of ${job}`, () => captured(job, `${job}-p`));
  return performance.now() - started;
}

/** Steady-state capture at +50 ms against 0 ms (a small cluster). */
async function steadyCapture(): Promise<BenchRow[]> {
  const r = await captureRig();
  try {
    const watcher = await r.start();
    const rounds = new Map<number, number[]>([
      [0, []],
      [50, []],
    ]);
    let n = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const delay of [0, 50]) {
        const times: number[] = [];
        for (let i = 0; i < 5; i += 1) {
          r.kube.delayMs = 0;
          const job = `steady-${n++}`;
          runningHookPod(r.kube, job);
          await sleep(50);
          r.kube.delayMs = delay;
          times.push(await captureOnce(r.kube, watcher.captured, job));
        }
        rounds.get(delay)?.push(median(times));
      }
    }
    await watcher.stop();
    return [0, 50].map((delay) => ({
      figure: `capture, steady state: hook pod fails → snapshot stored, API +${delay} ms`,
      value: spread(rounds.get(delay) ?? []),
      note: delay === 0 ? 'baseline' : 'goal ≤ 60 ms (one round trip)',
    }));
  } finally {
    await r.close();
  }
}

/**
 * A cluster of LARGE_PODS Job pods: a tenth running (half of them hooks), the rest finished. A hook pod
 * fails right after the watcher started, and right after a 410 relist; +50 ms per call.
 */
async function largeClusterCapture(): Promise<BenchRow[]> {
  const r = await captureRig();
  try {
    const running = Math.floor(LARGE_PODS / 10);
    for (let i = 0; i < LARGE_PODS - running; i += 1) {
      const job = r.kube.putJob(hookJob({ name: `cron-${i}`, hookType: null, succeeded: 1 }));
      r.kube.putPod(jobPod(job, { name: `cron-${i}-p`, phase: 'Succeeded', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(0, 'Completed') }] }));
    }
    for (let i = 0; i < running; i += 1) runningHookPod(r.kube, `live-${i}`, i % 2 === 0);
    const afterStart: number[] = [];
    const afterRelist: number[] = [];
    const steady: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      r.kube.delayMs = 50;
      const watcher = await r.start();
      afterStart.push(await captureOnce(r.kube, watcher.captured, `live-${round * 6}`));
      await sleep(200);
      steady.push(await captureOnce(r.kube, watcher.captured, `live-${round * 6 + 2}`));
      const lists = r.kube.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch !== 'true').length;
      r.kube.expireWatches();
      await until('the relist', () => r.kube.requests.filter((q) => q.path === '/api/v1/pods' && q.query.watch !== 'true').length > lists && r.kube.openWatches > 0);
      afterRelist.push(await captureOnce(r.kube, watcher.captured, `live-${round * 6 + 4}`));
      await watcher.stop();
    }
    const scale = `${LARGE_PODS.toLocaleString('en')} Job pods (${running} running, half of them hooks)`;
    return [
      { figure: `capture in a cluster of ${scale}, API +50 ms: steady state`, value: spread(steady), note: 'baseline' },
      { figure: `capture right after start, same cluster`, value: spread(afterStart), note: `goal < 250 ms; ${(median(afterStart) / median(steady)).toFixed(1)}× the steady state` },
      { figure: `capture right after a 410 relist, same cluster`, value: spread(afterRelist), note: `goal < 250 ms; ${(median(afterRelist) / median(steady)).toFixed(1)}× the steady state` },
    ];
  } finally {
    await r.close();
  }
}

/** Run the latency benchmarks and return printable rows. */
export async function latencyBench(): Promise<BenchRow[]> {
  return [...(await webhookToSlack()), ...(await steadyCapture()), ...(await largeClusterCapture()), ...(await burst())];
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const only = process.argv.slice(2);
  const parts: Record<string, () => Promise<BenchRow[]>> = { slack: webhookToSlack, steady: steadyCapture, large: largeClusterCapture, burst };
  const rows: BenchRow[] = [];
  for (const [name, run] of Object.entries(parts)) if (only.length === 0 || only.includes(name)) rows.push(...(await run()));
  printRows(rows);
}
