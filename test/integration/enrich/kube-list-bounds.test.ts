import t from 'tap';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { hookFailedEvent, kubeEnrichSetup } from '../../support/kube-enrich-setup.js';
import { LIST_PAGE, MAX_JOB_PODS } from '../../../src/kube/kube-client.js';

const signal = (): AbortSignal => AbortSignal.timeout(10_000);

t.test('the pods of a Job are read page by page (limit, continue) up to MAX_JOB_PODS', async (t) => {
  const { kube, registry } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ failed: 1 }));
  for (let i = 0; i < MAX_JOB_PODS + 50; i += 1) {
    kube.putPod(jobPod(job, { name: `db-migrate-${String(i).padStart(4, '0')}`, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  }
  const resolved = registry.resolve({ server: 'https://kubernetes.default.svc', name: null });
  if (!resolved.ok) throw new Error(resolved.missing);
  const pods = await resolved.client.listJobPods('payments', 'db-migrate', signal());
  t.equal(pods.items.length, MAX_JOB_PODS);
  t.equal(pods.truncated, true, 'more pods exist than were read');
  t.equal(new Set(pods.items.map((p) => p.metadata.name)).size, MAX_JOB_PODS, 'no page read twice');
  const lists = kube.requests.filter((r) => r.path === '/api/v1/namespaces/payments/pods');
  t.same(
    lists.map((r) => [r.query.limit, r.query.continue === undefined]),
    [
      [String(LIST_PAGE), true],
      [String(LIST_PAGE), false],
    ],
    'two pages of LIST_PAGE, the second with the continue token of the first',
  );
});

t.test('a list that ignores limit is cut to the items asked for, and the alert says more exist', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t, { kubernetes: { bounds: { maxEventsPerHook: 5 } } });
  const job = kube.putJob(hookJob({ failed: 1 }));
  kube.putPod(jobPod(job, { name: 'db-migrate-x7k2p', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.serveHugeList('events', 5_000, (i) => ({
    metadata: { name: `db-migrate.${i}`, namespace: 'payments' },
    involvedObject: { kind: 'Job', name: 'db-migrate', namespace: 'payments' },
    reason: 'BackoffLimitExceeded',
    message: `event ${i}`,
    type: 'Warning',
    count: 1,
  }));
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  const hook = report.hooks[0];
  t.equal(hook?.events.length, 5, 'maxEventsPerHook events kept');
  const note = hook?.missing.find((m) => m.startsWith('more events exist'));
  t.match(note, /^more events exist than the 5 read per object \(kubernetes\.bounds\.maxEventsPerHook\) for (Job db-migrate|Pod db-migrate-x7k2p), (Job db-migrate|Pod db-migrate-x7k2p);/);
});

t.test('a Job with more pods than MAX_JOB_PODS says so in the alert', async (t) => {
  const { kube, enricher } = await kubeEnrichSetup(t);
  const job = kube.putJob(hookJob({ failed: 1 }));
  for (let i = 0; i < MAX_JOB_PODS + 1; i += 1) {
    kube.putPod(jobPod(job, { name: `db-migrate-${String(i).padStart(4, '0')}`, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  }
  const report = await enricher.enrich(hookFailedEvent(), { signal: signal() });
  t.ok(
    report.hooks[0]?.missing.some((m) => m.startsWith(`Job payments/db-migrate has more than ${MAX_JOB_PODS} pods; only the first ${MAX_JOB_PODS} the API listed were considered`)),
    'the alert says the pods were cut',
  );
});
