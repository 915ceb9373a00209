/**
 * The whole pipeline in a service process: webhook → enriched from a Kubernetes API server → diagnosed →
 * delivered to a Slack Web API server and an SMTP server, all on loopback.
 *  - end-to-end latency (goal p50 < 150 ms): alerts one at a time, a Job with 3 pods × 200 log lines,
 *    from the POST until both the Slack post and the mail of that incident arrived;
 *  - memory (goal peak RSS < 150 MB): 1,000 alerts queued at once whose pods have 10 MB logs each.
 * PIPELINE_ALERTS and MEMORY_ALERTS change the counts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnService } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { postEvent } from './support/post-event.js';
import { KubeApiServer } from '../test/support/kube-api-server.js';
import { hookJob, jobPod, states } from '../test/support/kube-fixtures.js';
import { SlackApiServer } from '../test/support/slack-api-server.js';
import { SmtpTestServer } from '../test/support/smtp-test-server.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';

const LATENCY_ALERTS = Number(process.env.PIPELINE_ALERTS ?? 100);
const MEMORY_ALERTS = Number(process.env.MEMORY_ALERTS ?? 1_000);
const CHANNEL = 'C0DEPLOYS';

function logLines(n: number, tag: string): string {
  return Array.from({ length: n }, (_, i) => `2026-11-20T14:0${i % 10}:00Z INFO ${tag} migrating table_${i} (batch ${i} of ${n})`).join('\n') + '\nERROR: relation "orders" already exists\n';
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

interface Rig {
  kube: KubeApiServer;
  slack: SlackApiServer;
  smtp: SmtpTestServer;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** The service's config, with `worker.thread` as given. */
  configYaml(thread?: boolean): string;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-pipeline-'));
  const kube = await KubeApiServer.start();
  const slack = await SlackApiServer.start({ channels: [{ id: CHANNEL, name: 'deploys', member: true }] });
  const smtp = await SmtpTestServer.start();
  const kubeconfig = kube.writeKubeconfig(dir);
  const configYaml = (thread = true): string =>
    [
      'kubernetes:',
      '  enabled: "true"',
      '  clusters:',
      `    - { server: https://kubernetes.default.svc, kubeconfig: ${kubeconfig} }`,
      '  capture: { enabled: false }',
      '  stuck: { enabled: false }',
      '  blocked: { enabled: false }',
      '  failedWhileRunning: { enabled: false }',
      `worker: { pollIntervalMs: 20, thread: ${thread} }`,
      'logging: { level: warn }',
    ].join('\n');
  const env = {
    SLACK_BOT_TOKEN: slack.token,
    SLACK_API_URL: slack.apiUrl,
    SLACK_CHANNEL: CHANNEL,
    SMTP_URL: smtp.url,
    EMAIL_FROM: 'alerts@example.com',
    EMAIL_TO: 'oncall@example.com',
  };
  return {
    kube,
    slack,
    smtp,
    dir,
    env,
    configYaml,
    close: async () => {
      await Promise.allSettled([kube.close(), slack.close(), smtp.close()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function dataDirOf(r: Rig): string {
  const dir = join(r.dir, 'data');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function delivered(r: Rig, incident: string): boolean {
  const posted = r.slack.messages.some((m) => m.metadata?.event_payload.incident === incident);
  const mailed = r.smtp.mails.some((m) => (m.parsed.messageId ?? '').includes(incident));
  return posted && mailed;
}


/** End-to-end latency, one alert at a time. */
async function latency(): Promise<BenchRow[]> {
  const r = await rig();
  const job = r.kube.putJob(hookJob({ failed: 3, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:07:00Z' }] }));
  for (const suffix of ['a1', 'b2', 'c3']) {
    r.kube.putPod(jobPod(job, { name: `db-migrate-${suffix}`, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
    r.kube.setLog('payments', `db-migrate-${suffix}`, 'migrate', logLines(200, suffix));
  }
  const server = await spawnService(dataDirOf(r), r.configYaml(), r.env);
  const times: number[] = [];
  try {
    for (let i = 0; i < LATENCY_ALERTS + 5; i++) {
      const started = performance.now();
      const incident = await postEvent(server.url, failedBodyForOperation(i));
      while (!delivered(r, incident)) await new Promise((res) => setTimeout(res, 1));
      if (i >= 5) times.push(performance.now() - started); // the first few warm up JIT and connections
    }
  } finally {
    await server.stop();
    await r.close();
  }
  return [
    {
      figure: `end-to-end: webhook → enriched (3 pods × 200 lines) → Slack + email, ${times.length} alerts`,
      value: `p50 ${percentile(times, 0.5).toFixed(0)} ms, p99 ${percentile(times, 0.99).toFixed(0)} ms`,
      note: 'goal p50 < 150 ms',
    },
  ];
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Peak RSS with many alerts queued whose pods have 10 MB logs; `thread` is worker.thread. */
async function memory(thread: boolean): Promise<BenchRow[]> {
  const r = await rig();
  const bigLog = logLines(1, 'x').padStart(10 * 1024 * 1024, 'y'.repeat(99) + '\n');
  // Ten Jobs with one pod each; every alert names one of them. The server shares one 10 MB string.
  for (let j = 0; j < 10; j++) {
    const job = r.kube.putJob(hookJob({ name: `db-migrate-${j}`, failed: 1 }));
    r.kube.putPod(jobPod(job, { name: `db-migrate-${j}-p`, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
    r.kube.setLog('payments', `db-migrate-${j}-p`, 'migrate', bigLog);
  }
  const server = await spawnService(dataDirOf(r), r.configYaml(thread), r.env);
  const pid = server.child.pid ?? 0;
  const baseline = peakRssMiB(pid);
  let drainedAfter = Number.NaN;
  let peak = Number.NaN;
  try {
    const started = performance.now();
    const incidents: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < MEMORY_ALERTS) {
          const i = next++;
          const body = failedBodyForOperation(i, `memory-app-${i}`) as { operationState: { syncResult: { resources: { name: string }[] } } };
          for (const res of body.operationState.syncResult.resources) if (res.name === 'db-migrate') res.name = `db-migrate-${i % 10}`;
          incidents.push(await postEvent(server.url, body));
        }
      }),
    );
    while (!incidents.every((inc) => delivered(r, inc))) {
      if (performance.now() - started > 600_000) throw new Error('memory run did not drain in 10 minutes');
      await new Promise((res) => setTimeout(res, 100));
    }
    drainedAfter = (performance.now() - started) / 1000;
    peak = peakRssMiB(pid);
  } finally {
    await server.stop();
    await r.close();
  }
  return [
    {
      figure: `memory: ${MEMORY_ALERTS} alerts queued, pods with 10 MB logs (peak RSS, VmHWM), worker.thread ${thread}`,
      value: `${peak.toFixed(0)} MiB = ${(peak * 1.048576).toFixed(0)} MB (at start ${baseline.toFixed(0)} MiB)`,
      note: `${thread ? 'goal < 150 MB' : 'baseline: the pipeline on the HTTP thread, one heap'}; all delivered to Slack and email in ${drainedAfter.toFixed(0)} s`,
    },
  ];
}

/** Run the pipeline benchmarks and return printable rows. */
export async function pipelineBench(): Promise<BenchRow[]> {
  return [...(await latency()), ...(await memory(false)), ...(await memory(true))];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await pipelineBench());
}
