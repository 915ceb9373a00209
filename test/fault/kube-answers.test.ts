/**
 * Unbounded Kubernetes answers against the real service as the image runs it (the built CLI under the
 * image's heap limits, `npm run build` first): a list that ignores `limit` and a watch line without end
 * must be refused, not held, and the alert must still go out.
 */
import t, { type Test } from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiServer, type KubeObject } from '../support/kube-api-server.js';
import { hookJob, jobPod, states } from '../support/kube-fixtures.js';
import { hookFailedBody } from '../support/hook-failed-body.js';
import { REPO_ROOT } from '../support/contract-bodies.js';
import { peakRssKiB, startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { postEvent, waitUntil } from '../support/service-http.js';

const TOKEN = 'kube-answers-token-0123456789';

if (!existsSync(join(REPO_ROOT, 'dist/src/cli.js'))) throw new Error('dist/src/cli.js is missing: run `npm run build` first');

/** The built service against `kube`, with the file sink (outbox in the data dir) and capture on. */
async function serve(t: Test, kube: KubeApiServer): Promise<{ svc: ServiceProcess; outbox: string }> {
  const dir = t.testdir();
  const svc = await startServiceProcess(
    t,
    [],
    { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: dir, KUBECONFIG: kube.writeKubeconfig(dir), HOME: dir, LOG_LEVEL: 'info' },
    { built: true },
  );
  t.teardown(() => {
    svc.child.kill('SIGKILL');
  });
  return { svc, outbox: join(dir, 'outbox') };
}

/** The text of the first Slack rendering (or `.eml`) in the outbox, once there; fails at once if the service died. */
async function deliveredSlackJson(svc: ServiceProcess, outbox: string, ext = '.slack.json'): Promise<string> {
  let found: string | null = null;
  await waitUntil(
    'the alert in the outbox',
    () => {
      if (svc.child.exitCode !== null || svc.child.signalCode !== null) {
        throw new Error(`the service died (${svc.child.exitCode ?? svc.child.signalCode}) instead of delivering the alert`);
      }
      if (!existsSync(outbox)) return false;
      const file = readdirSync(outbox, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(ext));
      if (file === undefined) return false;
      found = readFileSync(join(outbox, file), 'utf8');
      return true;
    },
    { intervalMs: 100, maxMs: 120_000 },
  );
  if (found === null) throw new Error('no alert');
  return found;
}

function failedJobWithPod(kube: KubeApiServer): void {
  const job = kube.putJob(hookJob({ failed: 1, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:02:31Z' }] }));
  kube.putPod(jobPod(job, { name: 'db-migrate-x7k2p', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-migrate-x7k2p', 'migrate', 'ERROR: relation "ledger" does not exist\n');
}

/** ~150 bytes of JSON each: 200,000 of them are ~30 MB, under the former 32 MiB answer cap. */
function tinyEvent(i: number): KubeObject {
  return {
    metadata: { name: `e.${i.toString(16)}`, namespace: 'payments' },
    involvedObject: { kind: 'Job', name: 'db-migrate' },
    reason: 'BackoffLimitExceeded',
    type: 'Warning',
    count: 1,
  };
}

/** ~530 bytes of JSON each: 60,000 of them are ~30 MiB, under the former 32 MiB answer cap. */
function floodPod(i: number): KubeObject {
  return {
    metadata: { name: `db-migrate-${i.toString(36)}`, namespace: 'payments', uid: `p-${i}`, labels: { 'batch.kubernetes.io/job-name': 'db-migrate', 'job-name': 'db-migrate' }, ownerReferences: [{ kind: 'Job', name: 'db-migrate', uid: 'j-1', controller: true }] },
    spec: { containers: [{ name: 'migrate', image: 'ghcr.io/example-org/payments-migrations:2.41.0' }], nodeName: 'node-1', restartPolicy: 'Never' },
    status: { phase: 'Failed', containerStatuses: [{ name: 'migrate', restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] },
  };
}

/** A failed hook Job whose `resource` lists answer `count` items ignoring `limit`: the alert, once delivered. */
async function alertWithFlood(t: Test, resource: 'events' | 'pods', count: number, item: (i: number) => KubeObject): Promise<{ alert: string; kube: KubeApiServer }> {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  failedJobWithPod(kube);
  kube.serveHugeList(resource, count, item);
  const { svc, outbox } = await serve(t, kube);
  const posted = Date.now();
  t.equal((await postEvent(svc.url, TOKEN, hookFailedBody({}))).status, 202);
  const alert = await deliveredSlackJson(svc, outbox);
  t.comment(`delivered ${Date.now() - posted} ms after the POST; peak RSS ${peakRssKiB(svc.child.pid)} KiB`);
  return { alert, kube };
}

t.test('an events list of 200,000 items (~30 MB, limit ignored) is refused and the alert goes out', async (t) => {
  const { alert, kube } = await alertWithFlood(t, 'events', 200_000, tinyEvent);
  t.match(alert, /events of Job payments\/db-migrate: cluster in-cluster sent more than this service reads at once/, 'the alert says why events are missing');
  t.match(alert, /relation \\"ledger\\" does not exist/, 'the rest of the enrichment is there');
  const lists = kube.requests.filter((r) => r.path.endsWith('/events')).length;
  // The server's own count of bytes written includes what the loopback socket buffers took, tens of MiB
  // on this kernel: that the client read no further than its cap is what the alert's words above say;
  // here, that it dropped each list before the end instead of reading on.
  t.equal(kube.cutStreams.length, lists, `each of the ${lists} event lists was dropped before its end (${kube.cutStreams.join(', ')} bytes written by then)`);
});

t.test('a pod list of 60,000 pods (~30 MB, limit ignored) is refused and the alert goes out', async (t) => {
  const { alert } = await alertWithFlood(t, 'pods', 60_000, floodPod);
  t.match(alert, /pods of Job payments\/db-migrate: cluster in-cluster sent more than this service reads at once/, 'the alert says why pods are missing');
});

t.test('a watch stream without a newline is dropped at the line cap and the watch starts again', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  kube.serveWatchWithoutNewlines();
  const { svc } = await serve(t, kube);
  const watches = (): number => kube.requests.filter((r) => r.query.watch === 'true').length;
  await waitUntil(
    'the watch to be dropped and opened again',
    () => {
      if (svc.child.exitCode !== null || svc.child.signalCode !== null) throw new Error(`the service died (${svc.child.exitCode ?? svc.child.signalCode})`);
      return watches() >= 2;
    },
    { intervalMs: 100, maxMs: 120_000 },
  );
  t.comment(`peak RSS ${peakRssKiB(svc.child.pid)} KiB after ${watches()} watches, ${kube.streamedBytes} bytes streamed`);
  const failure = svc.logs.find((l) => l.msg === 'pod watch failed; hook pod logs are not captured until it reconnects (check the RBAC: list and watch pods)');
  t.match(failure?.error, /a watch event is larger than 4 MiB/, 'the log says why the watch was dropped');
  t.ok(kube.cutStreams.length >= 1, `the client closed the endless stream (${kube.cutStreams.join(', ')} bytes written by then, socket buffers included)`);
  t.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'the service is alive');
});

t.test('a sync listing 14,000 failed hooks (a 1 MB body) reads 10 from the cluster and sends a bounded alert', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const { svc, outbox } = await serve(t, kube);
  const body = hookFailedBody({}) as { operationState: { syncResult: { resources: unknown[] } } };
  body.operationState.syncResult.resources = Array.from({ length: 14_000 }, (_, i) => ({ kind: 'Job', name: `m-${i}`, hookType: 'PreSync', hookPhase: 'Failed' }));
  t.ok(JSON.stringify(body).length > 900_000 && JSON.stringify(body).length < 1024 * 1024, 'the body is ~1 MB, under the body limit');
  const requestsBefore = kube.requests.length;
  const posted = Date.now();
  t.equal((await postEvent(svc.url, TOKEN, body)).status, 202);
  const eml = await deliveredSlackJson(svc, outbox, '.eml');
  const slack = await deliveredSlackJson(svc, outbox, '.slack.json');
  t.comment(`delivered ${Date.now() - posted} ms after the POST; email ${eml.length} bytes, Slack ${slack.length} bytes; ${kube.requests.length - requestsBefore} Kubernetes requests; peak RSS ${peakRssKiB(svc.child.pid)} KiB`);
  const enrichment = kube.requests.slice(requestsBefore).filter((r) => r.query.watch !== 'true' && r.path !== '/api/v1/pods');
  t.ok(enrichment.length <= 10 * 6, `${enrichment.length} Kubernetes requests: 10 hooks read, not 14,000`);
  t.ok(eml.length < 200_000, `the email is bounded (${eml.length} bytes)`);
  t.ok(slack.length < 100_000, `the Slack message is bounded (${slack.length} bytes)`);
  // Intake keeps the first 1,000 failed hooks of a body (MAX_HOOK_RESOURCES), and the alert says the webhook may list more.
  t.match(slack, /990 more failed hooks not shown \(1000 read from the webhook, the most intake keeps; it may list more\): m-10, m-11, m-12/, 'the others are listed by name with a count');
  t.match(slack, /1000 failed hooks in this sync: the first 10 were read from the cluster/, 'the alert says how many were read');
});
