/**
 * Replicas on PostgreSQL (issue 17), with the built CLI (`npm run build` first) and a private PostgreSQL
 * server from Debian's packages:
 *  - 1,000 events posted in turn to 1, 2 and 3 replicas (8 at a time, each retried on another replica when
 *    cut, as Argo CD retries), one replica SIGKILLed at a seeded point mid-burst and started again;
 *    delivered to the Slack and SMTP test servers. Counted: events accepted and not delivered, Slack posts
 *    twice, emails twice (same Message-ID), time until everything is delivered. The single replica is the
 *    baseline of the same run.
 *  - PostgreSQL stopped for 30 s (BENCH_OUTAGE_S) under a steady trickle of webhooks: answers during the
 *    outage, time from its return until /readyz is 200 and until everything accepted is delivered.
 * `BENCH_SEED=<n>` replays the kill points; `BENCH_EVENTS=<n>` changes the 1,000.
 *
 *   npm run build && node --import tsx bench/replicas-bench.ts
 */
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlackApiServer } from '../test/support/slack-api-server.js';
import { SmtpTestServer } from '../test/support/smtp-test-server.js';
import { failedBodyForOperation } from '../test/support/contract-bodies.js';
import { getJson, postEvent, waitForDrain, waitUntil, type ServiceAnswer } from '../test/support/service-http.js';
import { rootPostsPerIncident } from '../test/support/slack-posts.js';
import { emailEnv, slackEnv } from '../test/support/worker-harness.js';
import { startPostgresServer, type PostgresServer } from '../test/support/postgres.js';
import { ReplicaSet } from '../test/support/replica-set.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { freshDatabase } from './support/bench-database.js';
import { seededRandom } from '../test/support/seeded-random.js';

const TOKEN = 'replicas-bench-token-0123456789';
const CONCURRENCY = 8;
const CONFIG = {
  kubernetes: { enabled: 'false' },
  slack: { requestTimeoutMs: 10_000 },
  worker: { pollIntervalMs: 50, leaseMs: 20_000, sendTimeoutMs: 15_000, retry: { initialDelayMs: 200, maxDelayMs: 2_000 } },
};

interface Scratch {
  dir: string;
  teardowns: (() => unknown)[];
  t: { teardown: (fn: () => unknown) => void };
}

function scratch(): Scratch {
  const teardowns: (() => unknown)[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'replicas-bench-'));
  teardowns.push(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, teardowns, t: { teardown: (fn) => void teardowns.push(fn) } };
}

async function cleanUp(s: Scratch): Promise<void> {
  for (const fn of s.teardowns.reverse()) await fn();
}

interface BurstResult {
  accepted: number;
  lost: number;
  slackTwice: number;
  emailTwice: number;
  seconds: number;
  killedAt: number;
}

async function burst(server: PostgresServer, replicaCount: number, events: number, killAt: number): Promise<BurstResult> {
  const s = scratch();
  try {
    const slack = await SlackApiServer.start({ channels: [{ id: 'C0BENCH', name: 'deploys', member: true }] });
    s.teardowns.push(() => slack.close());
    const smtp = await SmtpTestServer.start();
    s.teardowns.push(() => smtp.close());
    writeFileSync(join(s.dir, 'config.yaml'), JSON.stringify(CONFIG));
    const databaseUrl = await freshDatabase(server, 'replicas_bench');
    const replicas = await ReplicaSet.start(
      s.t,
      replicaCount,
      ['--config', join(s.dir, 'config.yaml')],
      (slot) => ({
        HOOK_ALERTS_TOKEN: TOKEN,
        HOOK_ALERTS_DATA_DIR: join(s.dir, `data-${slot}`),
        HOOK_ALERTS_DATABASE_URL: databaseUrl,
        ...slackEnv(slack, '#deploys'),
        ...emailEnv(smtp),
      }),
      { built: true },
    );
    const began = Date.now();
    const queue = Array.from({ length: events }, (_, i) => i);
    const incidents = new Set<string>();
    let accepted = 0;
    const poster = async (): Promise<void> => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const answer = await replicas.deliver(TOKEN, failedBodyForOperation(i, `svc-${i % 11}`));
        if (answer.status === 202 && typeof answer.json.incident === 'string') {
          incidents.add(answer.json.incident);
          accepted += 1;
        }
      }
    };
    const posting = Promise.all(Array.from({ length: CONCURRENCY }, poster));
    await waitUntil('the kill point', () => accepted >= killAt, { intervalMs: 2, progress: () => accepted });
    await replicas.kill(0);
    await replicas.restart(0);
    process.stderr.write(`  ${replicaCount} replica(s): killed and restarted at ${accepted} accepted\n`);
    await posting;
    process.stderr.write(`  ${replicaCount} replica(s): all ${accepted} accepted in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
    const any = replicas.running()[0];
    if (any === undefined) throw new Error('no replica running');
    await waitForDrain(any.url);
    const seconds = (Date.now() - began) / 1000;
    const posts = rootPostsPerIncident(slack);
    const mails = new Map<string, number>();
    for (const m of smtp.mails) mails.set(m.parsed.messageId ?? '', (mails.get(m.parsed.messageId ?? '') ?? 0) + 1);
    await replicas.stop();
    return {
      accepted,
      lost: [...incidents].filter((i) => !posts.has(i)).length + Math.max(0, incidents.size - mails.size),
      slackTwice: [...posts.values()].filter((n) => n > 1).length,
      emailTwice: [...mails.values()].filter((n) => n > 1).length,
      seconds,
      killedAt: killAt,
    };
  } finally {
    await cleanUp(s);
  }
}

interface OutageResult {
  during: Map<number | string, number>;
  readyAfterMs: number;
  drainedAfterMs: number;
  accepted: number;
  lost: number;
  twice: number;
}

async function outage(server: PostgresServer, outageSeconds: number): Promise<OutageResult> {
  const s = scratch();
  try {
    const slack = await SlackApiServer.start({ channels: [{ id: 'C0BENCH', name: 'deploys', member: true }] });
    s.teardowns.push(() => slack.close());
    writeFileSync(join(s.dir, 'config.yaml'), JSON.stringify(CONFIG));
    const databaseUrl = await freshDatabase(server, 'replicas_bench');
    const replicas = await ReplicaSet.start(
      s.t,
      2,
      ['--config', join(s.dir, 'config.yaml')],
      (slot) => ({ HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: join(s.dir, `data-${slot}`), HOOK_ALERTS_DATABASE_URL: databaseUrl, ...slackEnv(slack, '#deploys') }),
      { built: true },
    );
    const incidents = new Set<string>();
    const during = new Map<number | string, number>();
    let next = 0;
    let down = false;
    let stop = false;
    // A webhook every 50 ms, as a busy Argo CD sends them; answers during the outage are counted by status.
    const trickle = (async (): Promise<void> => {
      while (!stop) {
        const svc = replicas.running()[next % 2];
        const i = next++;
        if (svc !== undefined) {
          const answer = await postEvent(svc.url, TOKEN, failedBodyForOperation(i, `svc-${i % 7}`)).catch((): ServiceAnswer | null => null);
          const status = answer?.status ?? 'no answer';
          if (down) during.set(status, (during.get(status) ?? 0) + 1);
          if (answer?.status === 202 && typeof answer.json.incident === 'string') incidents.add(answer.json.incident);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 3_000));
    down = true;
    await server.stop();
    await new Promise((r) => setTimeout(r, outageSeconds * 1000));
    await server.start();
    const back = Date.now();
    down = false;
    await waitUntil('both replicas are ready', async () => {
      for (const svc of replicas.running()) if ((await getJson(`${svc.url}/readyz`)).status !== 200) return false;
      return true;
    }, { intervalMs: 20 });
    const readyAfterMs = Date.now() - back;
    await new Promise((r) => setTimeout(r, 2_000));
    stop = true;
    await trickle;
    const any = replicas.running()[0];
    if (any === undefined) throw new Error('no replica running');
    await waitForDrain(any.url);
    const drainedAfterMs = Date.now() - back;
    const posts = rootPostsPerIncident(slack);
    await replicas.stop();
    return {
      during,
      readyAfterMs,
      drainedAfterMs,
      accepted: incidents.size,
      lost: [...incidents].filter((i) => !posts.has(i)).length,
      twice: [...posts.values()].filter((n) => n > 1).length,
    };
  } finally {
    await cleanUp(s);
  }
}

/** The burst for 1, 2 and 3 replicas (same seeded kill point), then the outage. */
export async function replicasBench(): Promise<BenchRow[]> {
  const seed = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 32));
  const events = Number(process.env.BENCH_EVENTS ?? 1_000);
  const outageSeconds = Number(process.env.BENCH_OUTAGE_S ?? 30);
  const s = scratch();
  try {
    const server = await startPostgresServer(s.t);
    if (server === null) return [{ figure: 'replicas on PostgreSQL', value: 'not run', note: "no PostgreSQL server package (Debian's postgresql)" }];
    const killAt = Math.floor(events * (0.3 + seededRandom(seed)() * 0.4));
    const rows: BenchRow[] = [];
    let baseline: BurstResult | null = null;
    for (const n of [1, 2, 3]) {
      const r = await burst(server, n, events, killAt);
      baseline ??= r;
      rows.push({
        figure: `${events} events, ${n} replica${n > 1 ? 's' : ''}, one SIGKILLed at ${r.killedAt} accepted and restarted`,
        value: `${r.accepted} accepted, ${r.lost} lost, ${r.slackTwice} Slack posts twice, ${r.emailTwice} emails twice`,
        note: `${r.seconds.toFixed(1)} s to deliver all${n === 1 ? ' (baseline)' : `; ×${(r.seconds / baseline.seconds).toFixed(2)} the single replica's time`}; seed ${seed}`,
      });
    }
    const o = await outage(server, outageSeconds);
    rows.push({
      figure: `PostgreSQL stopped ${outageSeconds} s under a webhook every 50 ms, 2 replicas`,
      value: `answers during the outage: ${[...o.during].map(([status, n]) => `${n}× ${status}`).join(', ')}`,
      note: `ready ${o.readyAfterMs} ms after it is back, all delivered after ${(o.drainedAfterMs / 1000).toFixed(1)} s; ${o.accepted} accepted, ${o.lost} lost, ${o.twice} posted twice`,
    });
    return rows;
  } finally {
    await cleanUp(s);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printRows(await replicasBench());
}
