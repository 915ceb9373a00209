import t from 'tap';
import { join } from 'node:path';
import { SlackApiServer } from '../support/slack-api-server.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { failedBodyForOperation } from '../support/contract-bodies.js';
import { postEvent, waitForDrain, waitUntil } from '../support/service-http.js';
import { rootPostsPerIncident } from '../support/slack-posts.js';
import { slackEnv } from '../support/worker-harness.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { seededRandom } from '../support/seeded-random.js';

/**
 * The real `serve` process, delivering to the Slack test server, is SIGKILLed four times at seeded random
 * points while 1,000 distinct alerts are posted (8 at a time, each posted again until it gets a 202, as
 * Argo CD retries) and while they are delivered. Two of the kills land exactly in the crash window (Slack
 * took the post, the process never heard back). After the last restart the queue drains, and every
 * incident has exactly one root post in its channel. FAULT_SEED=<n> replays a run.
 */

const TOKEN = 'kill-restart-token-0123456789';
const TOTAL = 1_000;
const CONCURRENCY = 8;
const CHANNELS = 1;
const appOf = (i: number): string => `svc-${i % CHANNELS}`;
const FOUND_EARLIER_POST = 'found this delivery’s earlier Slack post; not posting again';

function between(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low));
}

interface KillPlan {
  name: string;
  /** Runs first, e.g. to let a backlog build up or drain. */
  before?: () => Promise<void>;
  /** Kill once this holds. */
  due: () => boolean;
  /** Posts Slack is armed to take without answering right before the kill (the crash window). */
  hangPosts: number;
  /** Runs once the next process is up. */
  after?: () => void;
}

t.test('SIGKILL 4 times during 1,000 alerts and a delivery backlog: each alert posted to Slack exactly once', async (t) => {
  const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 32));
  t.comment(`seed ${seed} (replay: FAULT_SEED=${seed} npx tap test/fault/kill-restart-slack.test.ts)`);
  const random = seededRandom(seed);
  const began = Date.now();
  const elapsed = (): string => `${((Date.now() - began) / 1000).toFixed(1)} s`;

  // All 1,000 alerts go to one channel, the hardest case for the crash-window lookup: a resumed delivery
  // must find its own post among everything posted since its first attempt. (CHANNELS > 1 spreads them.)
  const channels = Array.from({ length: CHANNELS }, (_, k) => ({ id: `C0ALERTS${k}0`, name: `alerts-${k}`, member: true }));
  const slack = await SlackApiServer.start({ channels });
  t.teardown(() => slack.close());
  // YAML is a superset of JSON. The request and send timeouts only bound a hang: a post Slack holds dies
  // with its process, and a send cut by a short timer while Slack was merely slow to answer on a loaded
  // machine could land after its retry had looked for it (posted twice).
  const config = {
    kubernetes: { enabled: 'false' },
    slack: { requestTimeoutMs: 120_000 },
    worker: { pollIntervalMs: 20, sendTimeoutMs: 150_000, retry: { initialDelayMs: 200, maxDelayMs: 1_000 } },
    routing: { rules: channels.map((c, k) => ({ match: { app: appOf(k) }, slack: [`#${c.name}`] })) },
  };
  const dir = t.testdir({ 'config.yaml': JSON.stringify(config, null, 2) });
  const dataDir = join(dir, 'data');
  const env = { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...slackEnv(slack, `#${channels[0]?.name ?? ''}`) };
  const processes: ServiceProcess[] = [];
  const start = async (): Promise<ServiceProcess> => {
    const svc = await startServiceProcess(t, ['--config', join(dir, 'config.yaml')], env);
    processes.push(svc);
    return svc;
  };

  let current = await start();
  // The process to post to: while one is restarted, a promise of the next.
  let ready = Promise.resolve(current);
  let stopped = false;
  t.teardown(() => {
    stopped = true;
  });
  const queue = Array.from({ length: TOTAL }, (_, i) => i);
  const incidentOf = new Map<number, string>();
  const inFlight = new Set<number>();
  let resent = 0;
  // A poster ends when the queue is empty: an alert still in flight with another poster is sent again by
  // that one if it is cut.
  const poster = async (): Promise<void> => {
    for (let i = queue.shift(); i !== undefined && !stopped; i = queue.shift()) {
      const svc = await ready;
      inFlight.add(i);
      // A request cut by a kill rejects; it is sent again to the next process, as Argo CD retries.
      const res = await postEvent(svc.url, TOKEN, failedBodyForOperation(i, appOf(i))).catch(() => null);
      inFlight.delete(i);
      if (res?.status === 202 && typeof res.json.incident === 'string') {
        incidentOf.set(i, res.json.incident);
      } else {
        resent++;
        queue.push(i);
      }
    }
  };
  const posting = Promise.all(Array.from({ length: CONCURRENCY }, poster));

  const rootPosts = (): number => slack.messages.filter((m) => m.thread_ts === null).length;
  const hungPosts = (): number => slack.heldCalls('chat.postMessage');
  const accepted = [between(random, 50, 250), between(random, 300, 500), between(random, 550, 750)];
  // The last kill falls in a burst of deliveries: Slack is down while the rest is accepted, then back.
  let resumedAt = 0;
  const intoBacklog = between(random, 20, 150);
  const plans: KillPlan[] = [
    { name: `intake, at ${accepted[0]} accepted`, due: () => incidentOf.size >= (accepted[0] ?? 0), hangPosts: 0 },
    {
      name: `intake and the crash window, at ${accepted[1]} accepted`,
      due: () => incidentOf.size >= (accepted[1] ?? 0),
      hangPosts: between(random, 1, 4),
    },
    {
      name: `intake, at ${accepted[2]} accepted; then Slack down`,
      due: () => incidentOf.size >= (accepted[2] ?? 0),
      hangPosts: 0,
      after: () => {
        slack.down = true;
      },
    },
    {
      name: `the crash window, ${intoBacklog} posts after Slack came back with a backlog`,
      before: async () => {
        await posting;
        slack.down = false;
        resumedAt = rootPosts();
      },
      due: () => rootPosts() >= resumedAt + intoBacklog,
      hangPosts: between(random, 1, 4),
    },
  ];

  for (const plan of plans) {
    await plan.before?.();
    // Bounded only while nothing moves: how long intake and delivery take depends on the machine's load.
    await waitUntil(`kill point "${plan.name}"`, plan.due, { intervalMs: 2, progress: () => incidentOf.size + rootPosts() });
    const svc = current;
    const hungBefore = hungPosts();
    if (plan.hangPosts > 0) {
      slack.failNext('chat.postMessage', { kind: 'hang-after' }, plan.hangPosts);
      // The kill lands in the crash window once Slack holds one post; the others of the same pass may be
      // held too. Not all that are armed: a pass whose post is held waits for it, so no more may come. The
      // rest is disarmed, so that no post of the next process is held.
      await slack.waitFor('Slack holds a post', () => hungPosts() > hungBefore);
      slack.clearFaults();
    }
    const posted = rootPostsPerIncident(slack);
    const waiting = [...incidentOf.values()].filter((incident) => !posted.has(incident)).length;
    const record =
      `${elapsed()}: kill "${plan.name}": ${incidentOf.size} accepted, ${inFlight.size} POSTs in flight, ` +
      `${waiting} accepted alerts not yet posted, ${hungPosts() - hungBefore} posts in the crash window, ${rootPosts()} posted`;
    let restarted: (next: ServiceProcess) => void = () => undefined;
    ready = new Promise((resolve) => {
      restarted = resolve;
    });
    svc.child.kill('SIGKILL');
    t.equal(await svc.exited, 'SIGKILL', record);
    current = await start();
    restarted(current);
    plan.after?.();
  }
  await posting;
  const last = current;
  await waitForDrain(last.url, 'the queue drains after the last restart');

  t.comment(`${elapsed()}: drained`);
  const incidents = new Set(incidentOf.values());
  t.equal(incidentOf.size, TOTAL, 'every alert got a 202 in the end');
  t.equal(incidents.size, TOTAL, 'one incident per alert');
  const posts = rootPostsPerIncident(slack);
  t.same([...incidents].filter((i) => !posts.has(i)), [], 'no accepted alert left undelivered');
  t.same([...posts].filter(([, n]) => n > 1), [], 'no alert posted twice');
  t.same([...posts.keys()].filter((i) => !incidents.has(i)), [], 'nothing posted that was not accepted');
  t.equal(rootPosts(), TOTAL, `${TOTAL} root posts in the channel`);
  const found = processes.flatMap((p) => p.logs).filter((l) => l.msg === FOUND_EARLIER_POST).length;
  t.ok(found >= hungPosts(), `each post Slack took without answering was found by its metadata (${found} found, ${hungPosts()} hung)`);

  last.child.kill('SIGTERM');
  t.equal(await last.exited, 0, 'SIGTERM exits 0');
  const store = SqliteStore.open(dataDir);
  t.teardown(() => store.close());
  const deliveries = store.listDeliveries();
  t.equal(deliveries.length, TOTAL, 'one delivery per alert');
  t.same(deliveries.filter((d) => d.state !== 'sent'), [], 'all sent');
  const retried = deliveries.filter((d) => d.attempts > 1).length;
  const released = processes.flatMap((p) => p.logs).flatMap((l) => (typeof l.released === 'number' ? [l.released] : []));
  t.comment(
    `${resent} POSTs cut or refused and sent again; leases released at restarts: [${released.join(', ')}]; ` +
      `${retried} deliveries took more than one attempt; ${slack.callsOf('conversations.history').length} history lookups; ` +
      `${slack.callsOf('chat.postMessage').length} chat.postMessage calls for ${TOTAL} posts`,
  );
});
