/**
 * What blocks a hook pod and what the alert tells to do, on pod statuses shaped like a Kubernetes v1.31
 * kubelet and scheduler report them (messages from pkg/kubelet/kubelet_pods.go, pkg/kubelet/images and the
 * scheduler's FitError); and how Helm's hook annotations read at run time (argo-cd v3.5.1 gitops-engine
 * pkg/sync/hook, Helm HIP-0019).
 */
import t from 'tap';
import { podSchema } from '../../../src/kube/kube-objects.js';
import { blockedMessage, podBlock } from '../../../src/enrich/blocked-hook-watcher.js';
import { deletePoliciesOf, hookTypeOf, logsWanted } from '../../../src/model/hook-annotations.js';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';

const job = hookJob();
const pending = (waiting: { reason: string; message: string } | null, o: { unschedulable?: string; init?: boolean } = {}) =>
  podSchema.parse(
    jobPod(job, {
      name: 'db-migrate-p1',
      phase: 'Pending',
      createdAt: '2026-11-20T14:02:10Z',
      ...(o.unschedulable === undefined ? {} : { unschedulable: o.unschedulable }),
      ...(o.init === true && waiting !== null ? { initStatuses: [{ name: 'wait-db', state: states.waiting(waiting.reason, waiting.message) }] } : {}),
      statuses: [{ name: 'migrate', state: waiting === null || o.init === true ? states.waiting('PodInitializing') : states.waiting(waiting.reason, waiting.message) }],
    }),
  );
const where = { namespace: 'payments', name: 'db-migrate-p1' };

t.test('each blocking state names its cause and what to do first', async (t) => {
  const cases: [ReturnType<typeof pending>, RegExp][] = [
    [pending({ reason: 'CreateContainerConfigError', message: 'secret "payments-db" not found' }), /^Create Secret "payments-db" in namespace payments/],
    [pending({ reason: 'CreateContainerConfigError', message: "couldn't find key password in Secret payments/payments-db" }), /^Add key "password" to Secret payments\/payments-db/],
    [pending({ reason: 'CreateContainerConfigError', message: 'configmap "flyway-conf" not found' }), /^Create ConfigMap "flyway-conf"/],
    [pending({ reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/example-org/payments-migrations:2.41.0"' }), /^Image ghcr\.io\/example-org\/payments-migrations:2\.41\.0 cannot be pulled/],
    [pending({ reason: 'ErrImagePull', message: 'rpc error: code = NotFound desc = failed to pull and unpack image' }, { init: true }), /container wait-db .* ErrImagePull/],
    [pending({ reason: 'CreateContainerError', message: 'failed to create containerd container: mount source path does not exist' }), /^The runtime cannot create container migrate/],
    [pending(null, { unschedulable: '0/3 nodes are available: 3 Insufficient memory.' }), /^No node can run the hook pod.* Unschedulable .*Insufficient memory/],
  ];
  for (const [pod, expected] of cases) {
    const block = podBlock(pod);
    t.not(block, null);
    if (block !== null) t.match(blockedMessage(block, where, 61), expected);
  }
});

t.test('pods on their way, running or crash-looping are not blocked', async (t) => {
  t.equal(podBlock(pending(null)), null, 'PodInitializing');
  t.equal(podBlock(pending({ reason: 'ContainerCreating', message: '' })), null);
  const running = podSchema.parse(jobPod(job, { name: 'r', phase: 'Running', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.running() }] }));
  t.equal(podBlock(running), null);
  const crashing = podSchema.parse(jobPod(job, { name: 'c', phase: 'Running', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.waiting('CrashLoopBackOff', 'back-off 5m0s') }] }));
  t.equal(podBlock(crashing), null, 'it ran: its failure is captured and alerted as such');
});

t.test('Helm hook annotations as Argo CD reads them, and the output log policy', async (t) => {
  t.equal(hookTypeOf({ 'helm.sh/hook': 'pre-install,pre-upgrade' }), 'PreSync');
  t.equal(hookTypeOf({ 'argocd.argoproj.io/hook': 'Sync', 'helm.sh/hook': 'pre-install' }), 'Sync', "Argo CD's own annotation wins");
  t.equal(hookTypeOf({ 'helm.sh/hook': 'test' }), null, 'a Helm test is not run by Argo CD');
  t.same(deletePoliciesOf({}), ['BeforeHookCreation'], 'the default');
  t.same(deletePoliciesOf({ 'argocd.argoproj.io/hook-delete-policy': 'HookFailed', 'helm.sh/hook-delete-policy': 'before-hook-creation, hook-succeeded' }), ['HookFailed', 'BeforeHookCreation', 'HookSucceeded'], 'both, in Argo CD names');
  t.equal(logsWanted({}, 'failed'), true);
  t.equal(logsWanted({}, 'succeeded'), false);
  t.equal(logsWanted({ 'helm.sh/hook-output-log-policy': 'hook-succeeded' }, 'failed'), false);
  t.equal(logsWanted({ 'helm.sh/hook-output-log-policy': 'hook-succeeded,hook-failed' }, 'failed'), true);
});
