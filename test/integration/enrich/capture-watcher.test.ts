import t, { type Test } from 'tap';
import { pino } from 'pino';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { hookFailedEvent, kubeEnrichSetup, type KubeEnrichSetup } from '../../support/kube-enrich-setup.js';
import { CaptureWatcher, type JobPodSighting } from '../../../src/enrich/capture-watcher.js';
import { StuckHookWatcher } from '../../../src/enrich/stuck-hook-watcher.js';
import { createScrubber } from '../../../src/scrub/scrub.js';
import { LIST_PAGE } from '../../../src/kube/kube-client.js';
import type { KubeObject } from '../../support/kube-api-server.js';
import { waitUntil } from '../../support/service-http.js';

/** Wait for a condition the watcher reaches asynchronously; fails the test instead of hanging. */
async function until(what: string, cond: () => boolean): Promise<void> {
  await waitUntil(what, cond, { intervalMs: 10 });
}

async function startWatcher(t: Test, s: KubeEnrichSetup, over: { namespaces?: string[] } = {}, onJobPod?: (s: JobPodSighting) => void): Promise<CaptureWatcher> {
  const client = s.registry.clients()[0];
  if (client === undefined) throw new Error('no cluster');
  const watcher = new CaptureWatcher({
    client,
    config: { ...s.config.capture, ...over },
    bounds: s.config.bounds,
    store: s.captures,
    scrub: createScrubber(),
    logger: pino({ level: 'silent' }),
    ...(onJobPod === undefined ? {} : { onJobPod }),
  });
  watcher.start();
  t.teardown(() => watcher.stop());
  await until('the watch is open', () => s.kube.openWatches >= watcher.watches.length);
  return watcher;
}

const hourAgo = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A capture watcher that reports Job pods to a stuck-hook watcher with a threshold of 1 minute (not started: tests call check()). */
async function withStuckWatcher(t: Test, s: KubeEnrichSetup): Promise<{ stuck: StuckHookWatcher; watcher: CaptureWatcher }> {
  const stuck = new StuckHookWatcher({
    config: { ...s.config.stuck, thresholdMinutes: 1 },
    hookTypes: ['PreSync'],
    destinationOf: () => ({ server: 'https://kubernetes.default.svc', name: null, namespace: null }),
    onStuck: () => undefined,
    logger: pino({ level: 'silent' }),
  });
  const watcher = await startWatcher(t, s, {}, (sighting) => stuck.sighting(sighting));
  return { stuck, watcher };
}

function runningPod(job: KubeObject, name: string, createdAt = '2026-11-20T14:02:10Z'): KubeObject {
  return jobPod(job, { name, phase: 'Running', createdAt, statuses: [{ name: 'migrate', state: states.running() }] });
}

/** The Job db-migrate with one running pod that has written `log`. */
function runningHookPod(s: KubeEnrichSetup, pod: string, log: string): void {
  s.kube.putPod(runningPod(s.kube.putJob(hookJob({ active: 1 })), pod));
  s.kube.setLog('payments', pod, 'migrate', log);
}

function fail(s: KubeEnrichSetup, name: string, exitCode = 1): void {
  s.kube.update('pods', 'payments', name, (p) => {
    (p.status as Record<string, unknown>).phase = 'Failed';
    (p.status as { containerStatuses: Record<string, unknown>[] }).containerStatuses = [
      { name: 'migrate', image: 'ghcr.io/example-org/payments-migrations:2.41.0', ready: false, started: false, restartCount: 0, state: states.terminated(exitCode, 'Error'), lastState: {} },
    ];
  });
}

t.test('HookFailed: the Job and pods are deleted right after the failure, the alert still has the logs', async (t) => {
  const s = await kubeEnrichSetup(t);
  const watcher = await startWatcher(t, s);
  const job = s.kube.putJob(hookJob({ deletePolicy: 'HookFailed', active: 1 }));
  s.kube.putPod(runningPod(job, 'db-migrate-hf001'));
  s.kube.setLog('payments', 'db-migrate-hf001', 'migrate', 'ERROR: duplicate key value violates unique constraint "users_email_key"\npassword=hunter2\n');
  fail(s, 'db-migrate-hf001');
  await until('the failed pod is captured', () => watcher.captures === 1);
  s.kube.deleteJobWithPods('payments', 'db-migrate');
  t.equal(s.kube.get('pods', 'payments', 'db-migrate-hf001'), undefined, 'the pod is gone from the cluster');

  const report = await s.enricher.enrich(hookFailedEvent(), { signal: AbortSignal.timeout(120_000) });
  const hook = report.hooks[0];
  t.equal(hook?.source, 'capture');
  t.match(hook?.pods[0], { name: 'db-migrate-hf001', capturedAt: /^\d{4}-/, containers: [{ current: { exitCode: 1 }, log: { text: /users_email_key/ } }] });
  t.notMatch(JSON.stringify(hook), /hunter2/, 'the snapshot was scrubbed');
  t.match(hook?.job, { deletePolicy: 'HookFailed' });
  t.match(hook?.missing, [/^captured at \d{4}-\S+, the Job was deleted by Argo CD \(hook-delete-policy HookFailed\)$/]);
  t.same(await s.partials(), {}, 'nothing is missing: the capture covers it');
});

t.test('retries: each attempt (a recreated Job of the same name) keeps its logs', async (t) => {
  const s = await kubeEnrichSetup(t);
  const watcher = await startWatcher(t, s);
  const first = s.kube.putJob(hookJob({ deletePolicy: 'BeforeHookCreation', active: 1 }));
  s.kube.putPod(runningPod(first, 'db-migrate-try1', '2026-11-20T14:02:10Z'));
  s.kube.setLog('payments', 'db-migrate-try1', 'migrate', 'attempt 1: could not obtain lock on relation "orders"\n');
  fail(s, 'db-migrate-try1');
  await until('attempt 1 captured', () => watcher.captures === 1);
  // Argo CD's retry: BeforeHookCreation deletes the Job (and its pods), then creates it again.
  s.kube.deleteJobWithPods('payments', 'db-migrate');
  const second = s.kube.putJob(hookJob({ deletePolicy: 'BeforeHookCreation', failed: 1, startTime: '2026-11-20T14:03:10Z' }));
  s.kube.putPod(runningPod(second, 'db-migrate-try2', '2026-11-20T14:03:10Z'));
  s.kube.setLog('payments', 'db-migrate-try2', 'migrate', 'attempt 2: could not obtain lock on relation "orders"\n');
  fail(s, 'db-migrate-try2');
  await until('attempt 2 captured', () => watcher.captures === 2);

  const report = await s.enricher.enrich(
    hookFailedEvent({}, { kind: 'hook-retrying', operation: { phase: 'Running', message: 'Retrying attempt #1', startedAt: '2026-11-20T14:02:05Z', finishedAt: null, retryCount: 1, retryLimit: 2, initiatedBy: { username: null, automated: true } } }),
    { signal: AbortSignal.timeout(120_000) },
  );
  const hook = report.hooks[0];
  t.equal(hook?.source, 'live');
  t.same(hook?.pods.map((p) => [p.name, (p.capturedAt ?? null) !== null]), [
    ['db-migrate-try2', false],
    ['db-migrate-try1', true],
  ]);
  t.match(hook?.pods[0]?.containers[0]?.log?.text, /attempt 2/, 'the live attempt, read live');
  t.match(hook?.pods[1]?.containers[0]?.log?.text, /attempt 1/, 'the earlier attempt, from its capture');
  t.match(hook?.missing, [/1 pod\(s\) of earlier attempts shown from captures .*recreated the Job for the retry/]);
});

t.test('a running hook pod being deleted (sync terminated) is captured while its container still runs', async (t) => {
  const s = await kubeEnrichSetup(t);
  const watcher = await startWatcher(t, s);
  const job = s.kube.putJob(hookJob({ active: 1 }));
  s.kube.putPod(runningPod(job, 'db-migrate-term1'));
  s.kube.setLog('payments', 'db-migrate-term1', 'migrate', 'migrating 0043 (long-running backfill) 61%\n');
  s.kube.update('pods', 'payments', 'db-migrate-term1', (p) => {
    p.metadata.deletionTimestamp = '2026-11-20T14:20:00Z';
  });
  await until('captured on deletion', () => watcher.captures === 1);
  s.kube.deleteJobWithPods('payments', 'db-migrate');
  const report = await s.enricher.enrich(hookFailedEvent({ message: 'Terminated', hookPhase: 'Failed' }), { signal: AbortSignal.timeout(120_000) });
  t.match(report.hooks[0]?.pods[0]?.containers[0]?.log?.text, /61%/);
  t.match(report.hooks[0]?.missing, [/the Job was deleted by Argo CD when the sync was terminated/]);
  const record = s.captures.forJob('in-cluster', 'payments', 'db-migrate', Date.now())[0];
  t.equal(record?.reason, 'deleting');
});

t.test('pods of Jobs that are not hooks are not captured; the watch asks only for Job pods', async (t) => {
  const s = await kubeEnrichSetup(t);
  const watcher = await startWatcher(t, s);
  const cron = s.kube.putJob(hookJob({ name: 'nightly-report', hookType: null, active: 1 }));
  s.kube.putPod(runningPod(cron, 'nightly-report-abc12'));
  s.kube.setLog('payments', 'nightly-report-abc12', 'migrate', 'report failed\n');
  fail(s, 'nightly-report-abc12');
  // A hook failing afterwards proves the watcher saw (and skipped) the earlier one.
  const job = s.kube.putJob(hookJob({ active: 1 }));
  s.kube.putPod(runningPod(job, 'db-migrate-after'));
  s.kube.setLog('payments', 'db-migrate-after', 'migrate', 'x\n');
  fail(s, 'db-migrate-after');
  await until('the hook pod is captured', () => watcher.captures === 1);
  await watcher.idle();
  t.same(s.captures.forJob('in-cluster', 'payments', 'nightly-report', Date.now()), []);
  const lists = s.kube.requests.filter((r) => r.path === '/api/v1/pods');
  t.ok(lists.length >= 2 && lists.every((r) => r.query.labelSelector === 'batch.kubernetes.io/job-name'), 'list and watch carry the label selector');
  t.ok(lists.some((r) => r.query.limit === String(LIST_PAGE)), 'the list is paged');
  t.ok(lists.some((r) => r.query.watch === 'true' && r.query.allowWatchBookmarks === 'true'), 'the watch asks for bookmarks');
});

t.test('the watch survives a dropped connection, bookmarks and 410 Gone', async (t) => {
  const s = await kubeEnrichSetup(t);
  const watcher = await startWatcher(t, s);
  const watch = watcher.watches[0];
  if (watch === undefined) throw new Error('no watch');

  t.test('bookmark: the resume point advances without an object change', async (t) => {
    s.kube.putJob(hookJob({ name: 'unrelated' }));
    s.kube.bookmark();
    await until('bookmark applied', () => watch.resourceVersion === s.kube.resourceVersion);
    t.equal(watch.resourceVersion, s.kube.resourceVersion);
  });

  t.test('dropped connection: resume from the last resourceVersion, no relist, nothing lost', async (t) => {
    const job = s.kube.putJob(hookJob({ name: 'mig-a', active: 1 }));
    s.kube.putPod(runningPod(job, 'mig-a-1'));
    s.kube.setLog('payments', 'mig-a-1', 'migrate', 'a failed\n');
    await until('pod seen', () => watch.resourceVersion === s.kube.resourceVersion);
    s.kube.closeWatches();
    fail(s, 'mig-a-1');
    await until('captured after reconnect', () => watcher.captures === 1);
    t.equal(watch.lists, 1, 'no relist');
    t.ok(watch.connects >= 2, 'reconnected');
  });

  t.test('410 Gone: relist, then carry on', async (t) => {
    s.kube.expireWatches();
    await until('relisted', () => watch.lists === 2 && s.kube.openWatches === 1);
    const job = s.kube.putJob(hookJob({ name: 'mig-b', active: 1 }));
    s.kube.putPod(runningPod(job, 'mig-b-1'));
    s.kube.setLog('payments', 'mig-b-1', 'migrate', 'b failed\n');
    fail(s, 'mig-b-1');
    await until('captured after relist', () => watcher.captures === 2);
    t.pass('captured after 410');
  });

  t.test('a failure that happened while the watch was gone is captured by the relist', async (t) => {
    const job = s.kube.putJob(hookJob({ name: 'mig-c', active: 1 }));
    s.kube.putPod(runningPod(job, 'mig-c-1'));
    s.kube.setLog('payments', 'mig-c-1', 'migrate', 'c failed\n');
    await until('pod seen', () => watch.resourceVersion === s.kube.resourceVersion);
    s.kube.fault({ path: /\/pods$/, watch: true, respond: { status: 500, reason: 'InternalError', message: 'watch broke' }, times: 1 });
    s.kube.expireWatches();
    fail(s, 'mig-c-1');
    await until('captured', () => watcher.captures === 3);
    t.pass('captured');
  });
});

t.test('a namespaced watcher (the Role variant) watches only its namespaces', async (t) => {
  const s = await kubeEnrichSetup(t);
  await startWatcher(t, s, { namespaces: ['payments', 'billing'] });
  const paths = new Set(s.kube.requests.filter((r) => r.query.watch === 'true').map((r) => r.path));
  t.same([...paths].sort(), ['/api/v1/namespaces/billing/pods', '/api/v1/namespaces/payments/pods']);
});

t.test('scheduling: captures never wait behind housekeeping', async (t) => {
  t.test('a capture while 300 Job look-ups of the stuck-hook check are pending completes first', async (t) => {
    const s = await kubeEnrichSetup(t);
    const { stuck, watcher } = await withStuckWatcher(t, s);
    for (let i = 0; i < 300; i += 1) {
      const job = s.kube.putJob(hookJob({ name: `long-${i}`, active: 1, startTime: hourAgo }));
      s.kube.putPod(runningPod(job, `long-${i}-p`, hourAgo));
    }
    await until('300 running pods tracked', () => stuck.tracked === 300);
    t.equal(s.kube.requests.filter((r) => r.path.includes('/jobs/')).length, 0, 'a Job seen running is not looked up');

    const held = s.kube.hold(/\/jobs\/long-\d+$/);
    const check = stuck.check();
    await until('the stuck-hook check is waiting on a Job look-up', () => held.held > 0);
    runningHookPod(s, 'db-migrate-now', 'ERROR: lock timeout\n');
    fail(s, 'db-migrate-now');
    // Bounded: a capture queued behind the held look-ups would never come.
    await waitUntil('the failed pod is captured while the look-ups are held', () => watcher.captures === 1, { intervalMs: 10, maxMs: 20_000 });
    t.equal(held.held, 1, 'the stuck-hook check still waits on its look-up');
    held.release();
    const raised = await check;
    t.equal(raised.length, 300, 'then the housekeeping goes on: 300 stuck hooks');
  });

  t.test('a Job that is not a hook is looked up once, past the threshold, and not again', async (t) => {
    const s = await kubeEnrichSetup(t);
    const { stuck, watcher } = await withStuckWatcher(t, s);
    const cron = s.kube.putJob(hookJob({ name: 'nightly-report', hookType: null, active: 1, startTime: hourAgo }));
    s.kube.putPod(runningPod(cron, 'nightly-report-p', hourAgo));
    await until('the running pod tracked', () => stuck.tracked === 1);
    const reads = (): number => s.kube.requests.filter((r) => r.path.endsWith('/jobs/nightly-report')).length;
    t.same(await stuck.check(), []);
    t.equal(reads(), 1, 'looked up once it ran past the threshold');
    s.kube.update('pods', 'payments', 'nightly-report-p', (p) => {
      p.metadata.labels = { ...p.metadata.labels, touched: 'yes' };
    });
    await until('the change seen', () => watcher.watches[0]?.resourceVersion === s.kube.resourceVersion);
    t.equal(stuck.tracked, 0, 'not tracked again');
    t.same(await stuck.check(), []);
    t.equal(reads(), 1, 'a later change of its pod does not bring it back');
  });

  t.test("a capture reads the pod's logs and events at the same time", async (t) => {
    const s = await kubeEnrichSetup(t);
    const watcher = await startWatcher(t, s);
    runningHookPod(s, 'db-migrate-par', 'ERROR: disk full\n');
    const logs = s.kube.hold(/\/pods\/db-migrate-par\/log$/);
    fail(s, 'db-migrate-par');
    // Bounded: read one after the other, the events would wait for the held log forever.
    await waitUntil('the events are asked for while the log is held', () => s.kube.requests.some((r) => r.path.endsWith('/events')), { intervalMs: 10, maxMs: 20_000 });
    t.equal(logs.held, 1);
    t.ok(s.kube.requests.some((r) => r.path.endsWith('/jobs/db-migrate')), 'and the Job too');
    logs.release();
    await until('captured', () => watcher.captures === 1);
    t.match(s.captures.forJob('in-cluster', 'payments', 'db-migrate', Date.now())[0]?.pod.containers[0]?.log?.text, /disk full/);
  });
  t.end();
});
