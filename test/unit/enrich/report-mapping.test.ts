import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { jobSchema, podSchema } from '../../../src/kube/kube-objects.js';
import { comparePods, isPodFailed, planLogRead, sortEvents, toJobInfo, toLogTail, toPodReport } from '../../../src/enrich/report-mapping.js';
import { captureTrigger, owningJob } from '../../../src/enrich/capture-watcher.js';
import { deletionCause } from '../../../src/enrich/job-hook-gaps.js';
import { stuckAfterSeconds, stuckEvent } from '../../../src/enrich/stuck-hook-watcher.js';
import { appIdentity } from '../../../src/enrich/job-hook-event.js';
import { createLimiter } from '../../../src/kube/limiter.js';
import { classifyKubeError, fromHttpStatus, KubeCallError } from '../../../src/kube/kube-failure.js';
import { REQUIRED_ACCESS } from '../../../src/kube/kube-client.js';
import { createScrubber } from '../../../src/scrub/scrub.js';
import { hookEventSchema } from '../../../src/model/hook-event.js';
import { hookFailedEvent } from '../../support/kube-enrich-setup.js';
import { REPO_ROOT } from '../../support/contract-bodies.js';

const job = jobSchema.parse(
  hookJob({
    deletePolicy: 'HookFailed',
    ttlSecondsAfterFinished: 600,
    initContainers: [{ name: 'wait', image: 'busybox:1.36' }],
    conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:03:10Z' }],
  }),
);
const raw = hookJob();
const pod = (phase: 'Failed' | 'Running', statuses: Parameters<typeof jobPod>[1]['statuses'], createdAt = '2026-11-20T14:02:10Z') =>
  podSchema.parse(jobPod(raw, { name: `p-${createdAt}`, phase, createdAt, statuses }));

t.test('toJobInfo: the Failed condition (not FailureTarget) ends the duration; policy, ttl, images', async (t) => {
  const info = toJobInfo(job, new Date('2030-01-01T00:00:00Z'));
  t.equal(info.durationSeconds, 60);
  t.equal(info.deletePolicy, 'HookFailed');
  t.equal(info.ttlSecondsAfterFinished, 600);
  t.same(info.images, ['busybox:1.36', 'ghcr.io/example-org/payments-migrations:2.41.0']);
  t.same(info.conditions.map((c) => c.type), ['FailureTarget', 'Failed']);
  const running = toJobInfo(jobSchema.parse(hookJob({ startTime: '2026-11-20T14:00:00Z', active: 1 })), new Date('2026-11-20T14:10:00Z'));
  t.equal(running.durationSeconds, 600, 'a running Job lasts until now');
});

t.test('planLogRead: current, previous after a restart, or why not', async (t) => {
  const [running] = toPodReport(pod('Running', [{ name: 'migrate', state: states.running() }])).containers;
  const [crash] = toPodReport(pod('Running', [{ name: 'migrate', state: states.waiting('CrashLoopBackOff'), lastState: states.terminated(1, 'Error'), restartCount: 2 }])).containers;
  const [pull] = toPodReport(pod('Running', [{ name: 'migrate', state: states.waiting('CreateContainerConfigError', 'secret "db-creds" not found') }])).containers;
  t.same(running && planLogRead(running), { previous: false });
  t.same(crash && planLogRead(crash), { previous: true });
  t.same(pull && planLogRead(pull), { unavailable: 'container never started: CreateContainerConfigError: secret "db-creds" not found' });
  const unscheduled = toPodReport(podSchema.parse(jobPod(raw, { name: 'u', phase: 'Running', createdAt: 'x', statuses: [], unschedulable: '0/3 nodes are available: 3 Insufficient memory.' })));
  t.equal(unscheduled.unschedulable, 'Unschedulable: 0/3 nodes are available: 3 Insufficient memory.');
  t.match(unscheduled.containers[0] && planLogRead(unscheduled.containers[0]), { unavailable: /no status yet/ });
});

t.test('pods sort newest failed first; events warnings first', async (t) => {
  const ok = toPodReport(pod('Running', [{ name: 'm', state: states.running() }], '2026-11-20T14:09:00Z'));
  const old = toPodReport(pod('Failed', [{ name: 'm', state: states.terminated(1, 'Error') }], '2026-11-20T14:01:00Z'));
  const recent = toPodReport(pod('Failed', [{ name: 'm', state: states.terminated(1, 'Error') }], '2026-11-20T14:05:00Z'));
  t.same([ok, old, recent].sort(comparePods).map((p) => p.createdAt), ['2026-11-20T14:05:00Z', '2026-11-20T14:01:00Z', '2026-11-20T14:09:00Z']);
  t.ok(isPodFailed(old));
  t.notOk(isPodFailed(ok));
  const e = (type: string, last: string) => ({ type, reason: null, message: null, object: 'Pod/x', count: 1, firstTimestamp: last, lastTimestamp: last });
  t.same(sortEvents([e('Normal', '3'), e('Warning', '1'), e('Warning', '2')], 2).map((x) => [x.type, x.lastTimestamp]), [['Warning', '2'], ['Warning', '1']]);
});

t.test('toLogTail scrubs before counting bytes and lines', async (t) => {
  const tail = toLogTail({ text: 'a\npassword=hunter2\n', bytes: 19, cutByCap: false }, { tailLines: 200, previous: false }, createScrubber());
  t.same(tail, { text: 'a\npassword=[REDACTED]\n', truncated: false, bytes: 22, lines: 2, previous: false });
  t.equal(toLogTail({ text: 'x\ny\n', bytes: 4, cutByCap: false }, { tailLines: 2, previous: true }, createScrubber()).truncated, true, 'tailLines reached: maybe more before');
});

t.test('captureTrigger: failures once per run, deletion of a running pod, nothing for healthy pods', async (t) => {
  const running = pod('Running', [{ name: 'm', state: states.running() }]);
  t.equal(captureTrigger(running), null);
  t.same(captureTrigger(pod('Running', [{ name: 'm', state: states.terminated(1, 'Error') }])), { reason: 'container-failed', signature: 'm:0:1' });
  t.same(captureTrigger(pod('Failed', [{ name: 'm', state: states.terminated(1, 'Error') }])), { reason: 'pod-failed', signature: 'm:0:1' }, 'same signature as the container failure: not captured twice');
  t.same(captureTrigger(pod('Running', [{ name: 'm', state: states.running(), lastState: states.terminated(137, 'OOMKilled'), restartCount: 1 }])), { reason: 'container-failed', signature: 'm:0:137' });
  t.same(captureTrigger(pod('Failed', [{ name: 'm', state: states.terminated(0, 'Completed') }])), { reason: 'pod-failed', signature: 'phase-failed' });
  const deleting = podSchema.parse({ ...jobPod(raw, { name: 'd', phase: 'Running', createdAt: 'x', statuses: [{ name: 'm', state: states.running() }] }), metadata: { ...jobPod(raw, { name: 'd', phase: 'Running', createdAt: 'x', statuses: [] }).metadata, deletionTimestamp: '2026-11-20T14:20:00Z' } });
  t.same(captureTrigger(deleting), { reason: 'deleting', signature: 'deleting' });
  t.same(owningJob(running), { name: 'db-migrate', uid: raw.metadata.uid });
});

t.test('deletionCause: the evidence decides the sentence', async (t) => {
  const event = hookFailedEvent();
  const hook = event.hooks[0];
  if (hook === undefined) throw new Error('no hook');
  const info = toJobInfo(job, new Date());
  t.equal(deletionCause(info, hook, event), 'Argo CD (hook-delete-policy HookFailed)');
  t.equal(deletionCause({ ...info, deletePolicy: null }, hook, event), 'the TTL controller (ttlSecondsAfterFinished: 600)');
  t.equal(deletionCause(null, { ...hook, message: 'Terminated' }, event), 'Argo CD when the sync was terminated');
  t.match(deletionCause(null, hook, { ...event, kind: 'hook-retrying' }), /recreating it for the next attempt/);
  t.equal(deletionCause(null, hook, event), 'Argo CD (most likely hook-delete-policy HookFailed)');
});

t.test('stuck hooks: app identity, limit, event', async (t) => {
  t.same(appIdentity(job, 'argocd'), { name: 'payments-api', namespace: 'argocd' });
  const anyNs = jobSchema.parse({ ...raw, metadata: { ...raw.metadata, annotations: { 'argocd.argoproj.io/tracking-id': 'team-a_orders:batch/Job:orders/migrate' } } });
  t.same(appIdentity(anyNs, 'argocd'), { name: 'orders', namespace: 'team-a' });
  const labelOnly = jobSchema.parse({ ...raw, metadata: { ...raw.metadata, annotations: {}, labels: { 'app.kubernetes.io/instance': 'billing' } } });
  t.same(appIdentity(labelOnly, 'apps'), { name: 'billing', namespace: 'apps' });
  t.equal(appIdentity(jobSchema.parse({ ...raw, metadata: { ...raw.metadata, annotations: {}, labels: {} } }), 'argocd'), null);
  t.equal(stuckAfterSeconds(job, 15), 900);
  t.equal(stuckAfterSeconds(jobSchema.parse(hookJob({ activeDeadlineSeconds: 300 })), 15), 300);
  const ev = stuckEvent(job, {
    app: { name: 'payments-api', namespace: 'argocd' },
    destination: { server: 'https://kubernetes.default.svc', name: 'in-cluster', namespace: null },
    runningSeconds: 1000,
    limitSeconds: 900,
    now: new Date('2026-11-20T14:20:00Z'),
  });
  t.ok(hookEventSchema.safeParse(ev).success, 'a valid HookEvent');
  t.match(ev, { kind: 'hook-stuck', operation: { startedAt: '2026-11-20T14:02:10Z', phase: 'Running' }, hooks: [{ hookPhase: 'Running', hookType: 'PreSync', message: /running for 16 min \(limit 15 min\)/ }] });
});

t.test('limiter: never more than n at once, in order', async (t) => {
  const limit = createLimiter(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  await Promise.all(
    [1, 2, 3, 4, 5].map((i) =>
      limit(async () => {
        active += 1;
        peak = Math.max(peak, active);
        await new Promise((r) => setImmediate(r));
        order.push(i);
        active -= 1;
      }),
    ),
  );
  t.equal(peak, 2);
  t.same(order, [1, 2, 3, 4, 5]);
  await t.rejects(limit(() => Promise.reject(new Error('boom'))), /boom/, 'a failing task frees its slot');
  t.equal(await limit(async () => 7), 7);
});

t.test('kube failure classification', async (t) => {
  const forbidden = fromHttpStatus(403, JSON.stringify({ kind: 'Status', status: 'Failure', message: 'pods is forbidden: ...', reason: 'Forbidden', code: 403 }));
  t.match(forbidden, { kind: 'forbidden', status: 403, detail: 'pods is forbidden: ...' });
  t.match(fromHttpStatus(502, '<html>bad gateway</html>'), { kind: 'server', detail: 'HTTP 502' });
  t.match(fromHttpStatus(401, ''), { kind: 'unauthorized' });
  t.match(classifyKubeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), null), { kind: 'unreachable', detail: /^connect ECONNREFUSED 127\.0\.0\.1:1 \(/ });
  t.match(classifyKubeError(Object.assign(new Error('unable to verify the first certificate'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }), null), { kind: 'unreachable', detail: /certificate-authority/ });
  t.match(classifyKubeError(new Error('aborted'), { kind: 'timeout', ms: 5000 }), { kind: 'timeout', detail: 'no answer within 5000 ms' });
  t.match(fromHttpStatus(410, { kind: 'Status', code: 410, message: 'too old resource version', reason: 'Expired' }), { kind: 'gone' });
  t.ok(fromHttpStatus(404, '') instanceof KubeCallError);
});

t.test('the RBAC manifests grant exactly the access the code uses', async (t) => {
  const expected = REQUIRED_ACCESS.map((a) => `${a.apiGroup}|${a.resource}|${[...a.verbs].sort().join(',')}`).sort();
  for (const [file, kind] of [['rbac-cluster.yaml', 'ClusterRole'], ['rbac-namespaced.yaml', 'Role']] as const) {
    const docs = parseAllDocuments(readFileSync(`${REPO_ROOT}deploy/base/${file}`, 'utf8')).map((d) => d.toJS() as { kind: string; rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[]; subjects?: { name: string }[] });
    const role = docs.find((d) => d.kind === kind);
    const rules = (role?.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}|${res}|${[...r.verbs].sort().join(',')}`))).sort();
    t.same(rules, expected, `${file}: ${kind} rules`);
    t.ok(docs.some((d) => d.subjects?.some((s) => s.name === 'argocd-hook-alerts')), `${file}: bound to the argocd-hook-alerts service account`);
  }
});
