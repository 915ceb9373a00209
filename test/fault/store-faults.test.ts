import t from 'tap';
import { join } from 'node:path';
import { chmodSync } from 'node:fs';
import { startService, type RunningService } from '../../src/main.js';
import { loadConfig } from '../../src/config/load-config.js';
import { SqliteStore, DATABASE_FILE } from '../../src/store/sqlite-store.js';
import { SlackApiServer } from '../support/slack-api-server.js';
import { failedBodyForOperation } from '../support/contract-bodies.js';
import { getJson, postEvent, waitForDrain, waitUntil } from '../support/service-http.js';
import { rootPostsPerIncident } from '../support/slack-posts.js';
import { capturingLogger } from '../support/log-capture.js';
import { slackEnv, type TestLike } from '../support/worker-harness.js';
import { fillVolume, mountTmpfs, remountReadOnly } from '../support/small-volume.js';
import { startServiceProcess } from '../support/service-process.js';
import { sqliteStoreOf } from '../support/sqlite-service-store.js';

/**
 * The store's disk full or read-only under the running service (intake writer thread, worker, Slack
 * sink): intake answers 503 HA_ERR_STORE_UNAVAILABLE (Argo CD retries 5xx), /readyz says why, nothing
 * crashes, and once the condition clears every event accepted before, during and after is delivered
 * exactly once.
 */

const TOKEN = 'store-faults-token-0123456789';
const STORE_ERROR = /^the event could not be stored \(SQLITE_(FULL|READONLY)\); it was not accepted, so Argo CD will retry: check the data volume/;

/** A condition of the store that the test turns on and off. */
interface StoreCondition {
  /** What makes it real, for the test log. */
  how: string;
  dataDir: string;
  apply(svc: RunningService): void;
  clear(svc: RunningService): void;
  /** What readiness must say while it holds. */
  reason: RegExp;
  /** Even a one-row update fails (false for the page limit, which an update in place does not reach). */
  failsEveryWrite: boolean;
}

/** A real full disk when a tmpfs can be mounted; else SQLite's own limit on the database size. */
async function diskFull(t: TestLike): Promise<StoreCondition> {
  const tmpfs = await mountTmpfs(t, 8 * 1024 * 1024);
  const volume = tmpfs.dir;
  if (tmpfs.mounted) {
    let filled: ReturnType<typeof fillVolume> | null = null;
    return {
      how: `${tmpfs.reason}, filled to ENOSPC`,
      dataDir: join(volume, 'data'),
      apply: () => {
        filled = fillVolume(volume);
      },
      clear: () => filled?.release(),
      reason: /the store refused the last event \(SQLITE_FULL: database or disk is full\)/,
      failsEveryWrite: true,
    };
  }
  // One connection in memory (no writer thread), so that the per-connection limit covers every write.
  return {
    how: `${tmpfs.reason}; PRAGMA max_page_count on an in-memory store instead`,
    dataDir: ':memory:',
    apply: (svc) => {
      sqliteStoreOf(svc).pragma(`max_page_count = ${Number(sqliteStoreOf(svc).pragma('page_count'))}`);
    },
    clear: (svc) => {
      sqliteStoreOf(svc).pragma('max_page_count = 1073741823');
    },
    reason: /the store refused the last event \(SQLITE_FULL: database or disk is full\)/,
    failsEveryWrite: false,
  };
}

/**
 * A read-only store under a running process: a mounted volume cannot be remounted read-only while the
 * database is open for writing (EBUSY), so the one connection of an in-memory store is made query-only.
 * The read-only volume at start-up is the next test.
 */
function readOnly(): StoreCondition {
  return {
    how: 'PRAGMA query_only on the in-memory store’s one connection',
    dataDir: ':memory:',
    apply: (svc) => {
      sqliteStoreOf(svc).pragma('query_only = ON');
    },
    clear: (svc) => {
      sqliteStoreOf(svc).pragma('query_only = OFF');
    },
    reason: /store not writable: attempt to write a readonly database/,
    failsEveryWrite: true,
  };
}

const conditions: { name: string; make: (t: TestLike) => Promise<StoreCondition> | StoreCondition }[] = [
  { name: 'disk full', make: diskFull },
  { name: 'read-only', make: () => readOnly() },
];

for (const { name, make } of conditions) {
  t.test(`store ${name}: 503 and not ready while it lasts, then every accepted event is delivered once`, async (t) => {
    const condition = await make(t);
    t.comment(`${name}: ${condition.how}`);
    const slack = await SlackApiServer.start();
    t.teardown(() => slack.close());
    const { logger, logs, stream } = capturingLogger('warn');
    const config = loadConfig({
      env: { HOOK_ALERTS_TOKEN: TOKEN, ...slackEnv(slack) },
      overrides: {
        dataDir: condition.dataDir,
        server: { host: '127.0.0.1', port: 0 },
        kubernetes: { enabled: 'false' },
        // Request and send timeouts only bound a hang: the one post held below is let go by the test. A
        // send cut by a short timer while Slack was merely slow to answer could be posted twice.
        slack: { requestTimeoutMs: 120_000 },
        worker: { pollIntervalMs: 20, leaseMs: 1_000, sendTimeoutMs: 150_000, retry: { initialDelayMs: 50, maxDelayMs: 200 } },
      },
    });
    const svc = await startService(config, logger, { logStream: stream });
    t.teardown(() => svc.close());
    // Slack is down too, so that what was accepted before is still queued when the store fails.
    slack.down = true;
    const incidents = new Set<string>();
    const post = async (i: number): Promise<Awaited<ReturnType<typeof postEvent>>> => {
      const res = await postEvent(svc.url, TOKEN, failedBodyForOperation(i));
      if (res.status === 202) incidents.add(String(res.json.incident));
      return res;
    };
    for (let i = 0; i < 10; i++) t.equal((await post(i)).status, 202, `event ${i} accepted before`);
    // Slack back for one post that it takes without answering: the condition starts while that send is
    // in flight, so its outcome cannot be recorded when the connection drops.
    slack.failNext('chat.postMessage', { kind: 'hang-after' });
    slack.down = false;
    await slack.waitFor('Slack holds a post', () => slack.heldCalls('chat.postMessage') > 0);
    slack.down = true;
    condition.apply(svc);
    const callsBefore = slack.calls.length;
    const during = [];
    for (let i = 10; i < 20; i++) during.push({ i, ...(await post(i)) });
    const refused = during.filter((r) => r.status === 503);
    t.same(during.filter((r) => r.status !== 503 && r.status !== 202), [], 'each answer is 202 or 503, never another 5xx');
    t.ok(refused.length > 0, `refused while the store is ${name}: ${refused.length} of ${during.length}`);
    t.match(refused[0]?.json, { error: 'HA_ERR_STORE_UNAVAILABLE', message: STORE_ERROR });
    const ready = await getJson(`${svc.url}/readyz`);
    t.equal(ready.status, 503, '/readyz says not ready');
    t.match(ready.json, { status: 'not ready', reasons: [condition.reason] }, 'and why');
    t.equal((await getJson(`${svc.url}/healthz`)).status, 200, 'the process is alive');
    const workerErrors = (): string[] => logs.filter((l) => l.component === 'worker' && l.level === 50).map((l) => String(l.msg));
    // The held post's connection drops (after Slack posted it): the send fails while the store does.
    slack.dropHeld();
    if (condition.failsEveryWrite) {
      await waitUntil('the held send fails and its outcome cannot be stored', () => workerErrors().some((m) => m.startsWith('cannot record a delivery outcome')));
    } else {
      await waitUntil('a few worker passes under the condition', () => slack.calls.length > callsBefore + 5);
    }
    t.comment(`${name}: ${refused.length} of ${during.length} POSTs refused; worker errors: ${workerErrors().length} (${[...new Set(workerErrors())].join(' | ')}); Slack calls meanwhile: ${slack.calls.length - callsBefore}`);
    condition.clear(svc);
    slack.down = false;
    // Argo CD sends the refused events again.
    for (const r of refused) t.equal((await post(r.i)).status, 202, `event ${r.i} accepted when sent again`);
    t.equal((await getJson(`${svc.url}/readyz`)).status, 200, 'ready again');
    await waitForDrain(svc.url);
    const posts = rootPostsPerIncident(slack);
    t.equal(incidents.size, 20, 'all 20 events accepted in the end');
    t.same([...incidents].filter((i) => posts.get(i) !== 1), [], 'each accepted event posted exactly once');
    t.equal(posts.size, 20, 'and nothing else');
  });
}

t.test('a read-only data volume at start-up: serve exits 1 and says the volume, not corruption', async (t) => {
  const tmpfs = await mountTmpfs(t, 4 * 1024 * 1024);
  const volume = tmpfs.mounted ? tmpfs.dir : t.testdir({});
  const dataDir = join(volume, 'data');
  // A database from an earlier run, as a restarted pod finds it.
  SqliteStore.open(dataDir).close();
  if (tmpfs.mounted) {
    await remountReadOnly(t, volume);
  } else if (process.getuid?.() !== 0) {
    chmodSync(join(dataDir, DATABASE_FILE), 0o444);
    chmodSync(dataDir, 0o555);
    t.teardown(() => chmodSync(dataDir, 0o755));
  } else {
    t.pass('a read-only data directory', { skip: `root ignores chmod, and ${tmpfs.reason}` });
    return;
  }
  t.comment(tmpfs.mounted ? `${tmpfs.reason}, remounted read-only` : 'chmod 0555 data directory');
  const started = startServiceProcess(t, [], { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  await t.rejects(started, {
    message: /serve exited \(1\) before listening: argocd-hook-alerts: the data directory .*\/data cannot be written \((EROFS: read-only file system|EACCES: permission denied)[^)]*\): mount a writable volume there, or point HOOK_ALERTS_DATA_DIR at a writable directory\n$/,
  });
});
