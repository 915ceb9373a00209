import t from 'tap';
import { createServer } from 'node:net';
import { event, hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { hookFailedEvent, kubeEnrichSetup } from '../../support/kube-enrich-setup.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { alertReportSchema } from '../../../src/model/job-report.js';
import { renderSlackMessage } from '../../../src/render/slack-message.js';
import { renderEmail } from '../../../src/render/email-message.js';
import { KubeClient } from '../../../src/kube/kube-client.js';
import { ClusterRegistry } from '../../../src/enrich/cluster-registry.js';
import { KubeEnricher } from '../../../src/enrich/kube-enricher.js';
import { enrichBoundsSchema } from '../../../src/enrich/enrich-config.js';
import { createScrubber } from '../../../src/scrub/scrub.js';
import { fixedCredentials, KubeConnection } from '../../../src/kube/kubeconfig-connection.js';

const FAILED_AT = '2026-11-20T14:02:31Z';
// The enrichment deadline of the tests that are not about it: a bound on a hang only.
const signal = (): AbortSignal => AbortSignal.timeout(120_000);

t.test('OOMKilled: container state, limits, log tail and events, warnings first', async (t) => {
  const { kube, enricher, partials } = await kubeEnrichSetup(t);
  const job = kube.putJob(
    hookJob({
      backoffLimit: 0,
      failed: 1,
      conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: FAILED_AT }],
    }),
  );
  const pod = kube.putPod(
    jobPod(job, {
      name: 'db-migrate-x7k2p',
      phase: 'Failed',
      createdAt: '2026-11-20T14:02:10Z',
      statuses: [{ name: 'migrate', state: states.terminated(137, 'OOMKilled') }],
    }),
  );
  kube.setLog('payments', 'db-migrate-x7k2p', 'migrate', 'Applying 0042_backfill_ledger...\nloaded 1800000 rows into memory\n');
  kube.putEvent(event(pod, { reason: 'Pulled', message: 'Container image "ghcr.io/example-org/payments-migrations:2.41.0" already present on machine' }));
  kube.putEvent(event(job, { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', type: 'Warning', first: '2026-11-20T14:02:32Z' }));
  kube.putEvent(event(job, { reason: 'SuccessfulCreate', message: 'Created pod: db-migrate-x7k2p', first: '2026-11-20T14:02:10Z' }));

  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.ok(alertReportSchema.safeParse(report).success, 'the report matches the shared schema');
  const hook = report.hooks[0];
  if (hook === undefined) throw new Error('no hook report');
  t.equal(hook.source, 'live');
  t.same(hook.missing, []);
  t.match(hook.job, {
    name: 'db-migrate',
    backoffLimit: 0,
    failed: 1,
    deletePolicy: null,
    images: ['ghcr.io/example-org/payments-migrations:2.41.0'],
    durationSeconds: 21,
  });
  t.ok(hook.job?.conditions.some((c) => c.type === 'Failed' && c.reason === 'BackoffLimitExceeded'));
  const c = hook.pods[0]?.containers[0];
  t.match(c, { name: 'migrate', init: false, current: { state: 'terminated', exitCode: 137, reason: 'OOMKilled' }, limits: { memory: '256Mi', cpu: '500m' } });
  t.match(c?.log, { text: /loaded 1800000 rows/, previous: false, truncated: false, lines: 2 });
  t.equal(hook.events[0]?.reason, 'BackoffLimitExceeded', 'warnings come first');
  t.same(hook.events.map((e) => e.object).sort(), ['Job/db-migrate', 'Job/db-migrate', 'Pod/db-migrate-x7k2p']);
  t.same(await partials(), {}, 'nothing missing, nothing counted');
  const logQuery = kube.logReads[0]?.query;
  t.match(logQuery, { container: 'migrate', tailLines: '200', limitBytes: '65536', previous: 'false' });
});

t.test('backoff exhausted with 3 pods: every attempt, newest failed first, bounded by maxPodsPerHook', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t, { kubernetes: { bounds: { maxPodsPerHook: 2 } } });
  const job = kube.putJob(
    hookJob({
      backoffLimit: 2,
      failed: 3,
      conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:04:02Z' }],
    }),
  );
  for (const [i, created] of ['2026-11-20T14:02:10Z', '2026-11-20T14:02:40Z', '2026-11-20T14:03:30Z'].entries()) {
    kube.putPod(jobPod(job, { name: `db-migrate-p${i}`, phase: 'Failed', createdAt: created, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
    kube.setLog('payments', `db-migrate-p${i}`, 'migrate', `attempt ${i}: ERROR: relation "ledger" does not exist\n`);
  }
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const hook = report.hooks[0];
  t.same(hook?.pods.map((p) => p.name), ['db-migrate-p2', 'db-migrate-p1'], 'newest first, at most 2');
  t.match(hook?.pods[1]?.containers[0]?.log?.text, /attempt 1/);
  t.match(hook?.missing, [/1 older pod\(s\) not shown \(kubernetes.bounds.maxPodsPerHook: 2\)/]);
  t.equal(hook?.job?.failed, 3);
  t.equal(kube.logReads.length, 2, 'no log read for the pod not shown');
});

t.test('deadline exceeded: condition, activeDeadlineSeconds, duration, SIGTERMed container', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = kube.putJob(
    hookJob({
      activeDeadlineSeconds: 300,
      startTime: '2026-11-20T14:02:10Z',
      failed: 1,
      conditions: [{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', at: '2026-11-20T14:07:10Z' }],
    }),
  );
  kube.putPod(
    jobPod(job, {
      name: 'db-migrate-dl9x2',
      phase: 'Failed',
      createdAt: '2026-11-20T14:02:10Z',
      deletionTimestamp: '2026-11-20T14:07:40Z',
      statuses: [{ name: 'migrate', state: states.terminated(143, 'Error', { finishedAt: '2026-11-20T14:07:11Z' }) }],
    }),
  );
  kube.setLog('payments', 'db-migrate-dl9x2', 'migrate', 'waiting for lock on table "orders"\n');
  const report = await enricher.enrich(hookFailedEvent({ message: 'Job was active longer than specified deadline' }), { signal: signal() });
  const hook = report.hooks[0];
  t.equal(hook?.job?.activeDeadlineSeconds, 300);
  t.equal(hook?.job?.durationSeconds, 300);
  t.ok(hook?.job?.conditions.some((c) => c.reason === 'DeadlineExceeded'));
  t.match(hook?.pods[0], { deletedAt: '2026-11-20T14:07:40Z', containers: [{ current: { exitCode: 143 }, log: { text: /waiting for lock/ } }] });
});

t.test('image pull failure: no log read, the waiting reason and message say why', async (t) => {
  const { kube, enricher, partials } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ active: 1 }));
  const pod = kube.putPod(
    jobPod(job, {
      name: 'db-migrate-img01',
      phase: 'Pending',
      createdAt: '2026-11-20T14:02:10Z',
      statuses: [{ name: 'migrate', state: states.waiting('ImagePullBackOff', 'Back-off pulling image "ghcr.io/example-org/payments-migrations:2.41.1"') }],
    }),
  );
  kube.putEvent(
    event(pod, {
      reason: 'Failed',
      type: 'Warning',
      count: 4,
      message: 'Failed to pull image "ghcr.io/example-org/payments-migrations:2.41.1": not found',
    }),
  );
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const c = report.hooks[0]?.pods[0]?.containers[0];
  t.equal(c?.log, null);
  t.match(c?.logUnavailable, /^container never started: ImagePullBackOff: Back-off pulling image/);
  t.equal(kube.logReads.length, 0, 'no pods/log call for a container that never started');
  t.match(report.hooks[0]?.events[0], { type: 'Warning', count: 4, message: /not found/ });
  t.same(await partials(), {}, 'a container that never ran is a fact, not a failure to read');
});

t.test('init container failure and a restarted container: init log, previous log', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ initContainers: [{ name: 'wait-for-db' }], containers: [{ name: 'migrate' }] }));
  kube.putPod(
    jobPod(job, {
      name: 'db-migrate-init1',
      phase: 'Failed',
      createdAt: '2026-11-20T14:02:10Z',
      initStatuses: [{ name: 'wait-for-db', state: states.terminated(1, 'Error') }],
      statuses: [{ name: 'migrate', state: states.waiting('PodInitializing') }],
    }),
  );
  kube.setLog('payments', 'db-migrate-init1', 'wait-for-db', 'db:5432 - no response\n');
  kube.putPod(
    jobPod(job, {
      name: 'db-migrate-crash1',
      phase: 'Running',
      createdAt: '2026-11-20T14:01:10Z',
      initStatuses: [{ name: 'wait-for-db', state: states.terminated(0, 'Completed') }],
      statuses: [{ name: 'migrate', state: states.waiting('CrashLoopBackOff', 'back-off 40s restarting failed container'), lastState: states.terminated(2, 'Error'), restartCount: 3 }],
    }),
  );
  kube.setLog('payments', 'db-migrate-crash1', 'migrate', 'panic: missing env DATABASE_URL\n', { previous: true });
  kube.setLog('payments', 'db-migrate-crash1', 'wait-for-db', 'db ready\n');
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const [init, crash] = report.hooks[0]?.pods ?? [];
  t.equal(init?.name, 'db-migrate-init1', 'the failed pod first');
  t.match(init?.containers, [
    { name: 'wait-for-db', init: true, log: { text: /no response/ } },
    { name: 'migrate', init: false, log: null, logUnavailable: /earlier init container/ },
  ]);
  const app = crash?.containers.find((c) => !c.init);
  t.match(app, { restartCount: 3, current: { reason: 'CrashLoopBackOff' }, lastTermination: { exitCode: 2 }, log: { previous: true, text: /DATABASE_URL/ } });
  t.ok(kube.logReads.some((r) => r.pod === 'db-migrate-crash1' && r.query.previous === 'true'));
});

t.test('pods only labelled job-name (Kubernetes < 1.27) are found by the fallback', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ failed: 1 }));
  const pod = jobPod(job, { name: 'db-migrate-old01', phase: 'Failed', createdAt: FAILED_AT, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] });
  pod.metadata.labels = { 'job-name': 'db-migrate', 'controller-uid': String(job.metadata.uid) };
  kube.putPod(pod);
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.equal(report.hooks[0]?.pods[0]?.name, 'db-migrate-old01');
  t.ok(kube.requests.some((r) => r.query.labelSelector === 'job-name=db-migrate'));
});

t.test('a bare Pod hook gets the pod part', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const owner = hookJob();
  const pod = jobPod(owner, { name: 'smoke-test', phase: 'Failed', createdAt: FAILED_AT, statuses: [{ name: 'migrate', state: states.terminated(3, 'Error') }] });
  pod.metadata.ownerReferences = [];
  kube.putPod(pod);
  kube.setLog('payments', 'smoke-test', 'migrate', 'smoke test failed: /healthz 503\n');
  const report = await enricher.enrich(hookFailedEvent({ kind: 'Pod', group: null, name: 'smoke-test', hookType: 'PostSync' }), { signal: signal() });
  t.match(report.hooks[0], { job: null, source: 'live', pods: [{ name: 'smoke-test', containers: [{ log: { text: /503/ } }] }] });
});

t.test('Job deleted by HookFailed and no capture: the alert says exactly that', async (t) => {
  const { enricher, partials } = await kubeEnrichSetup(t);
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.match(report.hooks[0], { source: 'none', job: null, pods: [] });
  t.match(report.hooks[0]?.missing, [/^logs unavailable: pods deleted by Argo CD \(most likely hook-delete-policy HookFailed\) and no capture/]);
  t.same(await partials(), { logs: 1 });
});

t.test('a terminated sync names the termination as the reason the Job is gone', async (t) => {
  const { enricher } = await kubeEnrichSetup(t);
  const report = await enricher.enrich(hookFailedEvent({ message: 'Terminated' }), { signal: signal() });
  t.match(report.hooks[0]?.missing, [/deleted by Argo CD when the sync was terminated/]);
});

t.test('RBAC 403 on pods/log and events: precise grants to add, the rest still read', async (t) => {
  const { kube, enricher, partials } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ failed: 1 }));
  kube.putPod(jobPod(job, { name: 'db-migrate-rb1', phase: 'Failed', createdAt: FAILED_AT, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-migrate-rb1', 'migrate', 'boom\n');
  kube.forbid('get', 'pods/log', 'payments');
  kube.forbid('list', 'events', 'payments');
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const hook = report.hooks[0];
  t.match(hook?.pods[0]?.containers[0]?.logUnavailable, /^forbidden: grant get on pods\/log in namespace payments to the argocd-hook-alerts service account .*cannot get resource "pods\/log"/);
  t.match(hook?.missing, [/^events of Job payments\/db-migrate: forbidden: grant list on events in namespace payments/]);
  t.equal(hook?.missing.length, 1, 'the events 403 is said once, not once per object');
  t.match(hook?.job, { name: 'db-migrate' }, 'the Job was still read');
  t.same(await partials(), { logs: 1, events: 1 });
});

t.test('API 500 on the Job: the status and message, then pods are still read', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = hookJob({ failed: 1 });
  kube.putJob(job);
  kube.putPod(jobPod(job, { name: 'db-migrate-500', phase: 'Failed', createdAt: FAILED_AT, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.fault({ path: /\/jobs\/db-migrate$/, respond: { status: 500, reason: 'InternalError', message: 'etcdserver: request timed out' } });
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.match(report.hooks[0]?.missing, [/^Job payments\/db-migrate: the API server of in-cluster answered HTTP 500 InternalError: etcdserver: request timed out$/]);
  t.equal(report.hooks[0]?.pods[0]?.name, 'db-migrate-500');
});

t.test('API 429 with Retry-After (priority and fairness): the call is sent again after the wait and succeeds', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = hookJob({ failed: 1 });
  kube.putJob(job);
  kube.fault({ path: /\/jobs\/db-migrate$/, times: 2, respond: { status: 429, reason: 'TooManyRequests', message: 'too many requests, please try again later', retryAfter: '0' } });
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.notOk((report.hooks[0]?.missing ?? []).some((m) => /^Job payments\/db-migrate:|429/.test(m)), 'the Job was read on the third try');
  t.same(
    kube.requests.filter((r) => r.path.endsWith('/jobs/db-migrate')).map((r) => r.status),
    [429, 429, 200],
  );
});

t.test('API 429 without Retry-After is not retried: the status is reported', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  kube.putJob(hookJob({ failed: 1 }));
  kube.fault({ path: /\/jobs\/db-migrate$/, times: 1, respond: { status: 429, reason: 'TooManyRequests', message: 'slow down' } });
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.match(report.hooks[0]?.missing, [/HTTP 429 TooManyRequests: slow down/]);
});

t.test('a hanging API server: per-call timeout, the report still comes with the reason', async (t) => {
  const { kube, enricher, partials } = await kubeEnrichSetup(t, { kubernetes: { bounds: { callTimeoutMs: 150 } } });
  kube.fault({ path: /./, respond: 'hang' });
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.match(report.hooks[0]?.missing, [/^Job payments\/db-migrate: cluster in-cluster did not answer in time \(no answer within 150 ms\)$/]);
  // At most: on a loaded machine the 150 ms may run out before the server has read the request.
  t.ok(kube.requests.length <= 3, `a cluster that does not answer is asked the first wave only (Job, pods, Job events), not once per pod and event (${kube.requests.length})`);
  t.same(await partials(), { job: 1 });
});

t.test('the enrichment deadline stops every call in flight', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t, { kubernetes: { bounds: { callTimeoutMs: 60_000 } } });
  kube.fault({ path: /./, respond: 'hang' });
  const report = await enricher.enrich(hookFailedEvent(), { signal: AbortSignal.timeout(200) });
  t.match(report.hooks[0]?.missing, [/not read, the enrichment deadline passed first/]);
  t.match(report.notes, [/deadline/]);
});

t.test('API down: the cluster is named unreachable with the socket error', async (t) => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const connection = new KubeConnection(`http://127.0.0.1:${port}`, {
    trust: { ca: null, rejectUnauthorized: true, servername: null },
    credentials: fixedCredentials({ authorization: 'Bearer x', cert: null, key: null }),
  });
  const enricher = new KubeEnricher({
    registry: ClusterRegistry.of(new KubeClient('in-cluster', connection, { callTimeoutMs: 60_000 })),
    bounds: enrichBoundsSchema.parse({ callTimeoutMs: 60_000, deadlineMs: 120_000 }),
    scrub: createScrubber(),
    captures: null,
    captureEnabled: false,
    metrics: null,
  });
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.match(report.hooks[0]?.missing, [/^Job payments\/db-migrate: cluster in-cluster unreachable: .*ECONNREFUSED/]);
});

t.test('an unknown destination says which cluster to configure', async (t) => {
  const { enricher, partials } = await kubeEnrichSetup(t);
  const report = await enricher.enrich(
    hookFailedEvent({}, { destination: { server: 'https://prod-eu.example.com:6443', name: null, namespace: 'payments' } }),
    { signal: signal() },
  );
  t.match(report.hooks[0]?.missing, [
    /^cluster https:\/\/prod-eu.example.com:6443 is not configured: add it under kubernetes.clusters \(server: https:\/\/prod-eu.example.com:6443, kubeconfig/,
  ]);
  t.same(await partials(), { cluster: 1 });
});

t.test('a 10 MB log: at most the byte cap is read per request and held, and the end of the log is shown', async (t) => {
  const cap = 64 * 1024;
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ failed: 1 }));
  kube.putPod(jobPod(job, { name: 'db-migrate-big', phase: 'Failed', createdAt: FAILED_AT, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  // 200 lines of 50 KiB: the 200-line tail window is the whole 10 MB.
  const lines = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(3, '0')} ${'x'.repeat(50 * 1024 - 10)} end${i}`);
  kube.setLog('payments', 'db-migrate-big', 'migrate', `${lines.join('\n')}\n`);
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const log = report.hooks[0]?.pods[0]?.containers[0]?.log;
  t.ok(log !== null && log !== undefined && log.bytes <= cap, `held ${log?.bytes} bytes`);
  t.equal(log?.truncated, true);
  t.match(log?.text, /end199\n?$/, 'the last line, where the error is');
  t.ok(kube.logReads.every((r) => r.bytesSent <= cap), `sent ${kube.logReads.map((r) => r.bytesSent).join(', ')} bytes`);
  t.ok(kube.logReads.length <= 2);

  t.test('a server that ignores limitBytes: the client stops reading at the cap', async (t) => {
    kube.ignoreLimitBytes = true;
    kube.logReads.length = 0;
    const again = await enricher.enrich(hookFailedEvent(), { signal: signal() });
    const held = again.hooks[0]?.pods[0]?.containers[0]?.log;
    t.ok(held !== null && held !== undefined && held.bytes <= cap, `held ${held?.bytes} bytes`);
    const first = kube.logReads[0];
    t.ok(first !== undefined && !first.completed && first.bytesSent < 10 * 1024 * 1024, `the 10 MB answer was abandoned after ${first?.bytesSent} bytes were written`);
    t.ok(kube.logReads.every((r) => r.completed || r.bytesSent < 10 * 1024 * 1024));
  });
});

t.test('secrets in logs, messages and events never reach the report or the rendered alert', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ failed: 1 }));
  const pod = kube.putPod(
    jobPod(job, {
      name: 'db-migrate-sec1',
      phase: 'Failed',
      createdAt: FAILED_AT,
      statuses: [{ name: 'migrate', state: states.terminated(1, 'Error', { message: 'connect failed: postgres://app:TermMsgSecret9@db:5432/app' }) }],
    }),
  );
  kube.setLog(
    'payments',
    'db-migrate-sec1',
    'migrate',
    [
      'connecting to postgres://app:UrlSecret123@db.internal:5432/payments',
      'env: PGPASSWORD=EnvSecret456 AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLE',
      'auth: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtaWdyYXRlIn0.c2lnbmF0dXJlLXNlY3JldA',
      '{"password": "JsonSecret789", "user": "app"}',
      '-----BEGIN RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEAPrivKeySecret',
      'FATAL: password authentication failed for user "app"',
      '',
    ].join('\n'),
  );
  kube.putEvent(event(pod, { reason: 'Failed', type: 'Warning', message: 'probe https://svc/health?token=EventSecret000 failed' }));
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const alert = { incidentId: 'inc_test', deliveryKind: 'failed' as const, event: hookFailedEvent(), report, findings: [] };
  const mail = renderEmail(alert, { from: 'alerts@example.com', to: 'oncall@example.com' });
  // What Slack and email receive: the message, the mail's text and HTML and its .log attachments.
  const asText = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    throw new Error(`the rendered mail holds a ${typeof v} where text was expected`);
  };
  const attachments = (mail.attachments ?? []).map((a) => asText(a.content));
  const text = [JSON.stringify(renderSlackMessage(alert)), asText(mail.text), asText(mail.html), ...attachments].join('\n');
  const json = JSON.stringify(report);
  for (const secret of ['TermMsgSecret9', 'UrlSecret123', 'EnvSecret456', 'wJalrXUtnFEMI', 'c2lnbmF0dXJlLXNlY3JldA', 'JsonSecret789', 'PrivKeySecret', 'EventSecret000']) {
    t.notOk(json.includes(secret), `${secret} is not in the report`);
    t.notOk(text.includes(secret), `${secret} is not in the rendered alert`);
  }
  t.match(text, /password authentication failed for user "app"/, 'the diagnostic line itself survives');
});

t.test('a Job hook with 3 failed pods is read in 2 dependent waves: Job, pods and Job events; then logs and pod events', async (t) => {
  // Concurrency above the 6 calls of the second wave (3 logs, 3 pod events), so that the limiter does not split it.
  const { kube, enricher } = await kubeEnrichSetup(t, { kubernetes: { bounds: { concurrency: 8 } } });
  const job = kube.putJob(hookJob({ failed: 3 }));
  for (let p = 0; p < 3; p += 1) {
    kube.putPod(jobPod(job, { name: `db-migrate-w${p}`, phase: 'Failed', createdAt: `2026-11-20T14:0${p}:10Z`, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
    kube.setLog('payments', `db-migrate-w${p}`, 'migrate', `attempt ${p} failed\n`);
  }
  // Far above the client's own time per call, so that requests sent together arrive before any answer.
  kube.delayMs = 150;
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.equal(report.hooks[0]?.pods.length, 3);
  t.equal(kube.requests.length, 9, 'Job, pods, Job events, 3 logs, 3 pod events');
  t.equal(KubeApiServer.waves(kube.requests), 2, 'two dependent waves, not four (job → pods → logs → events)');
});

t.test('a Pod hook: the pod and its events together, then its logs', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  kube.putPod({
    ...jobPod(hookJob(), { name: 'smoke-test', phase: 'Failed', createdAt: FAILED_AT, statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }),
  });
  kube.setLog('payments', 'smoke-test', 'migrate', 'smoke test failed\n');
  kube.delayMs = 150;
  const report = await enricher.enrich(hookFailedEvent({ kind: 'Pod', group: null, name: 'smoke-test' }), { signal: signal() });
  t.match(report.hooks[0]?.pods[0]?.containers[0]?.log?.text, /smoke test failed/);
  t.equal(KubeApiServer.waves(kube.requests), 2);
});
