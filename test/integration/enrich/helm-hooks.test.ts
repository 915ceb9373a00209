/**
 * Helm hooks at run time (issue 19 item 5), through the running service and the Kubernetes API test server:
 * a Job that carries only Helm's annotations (`helm.sh/hook: pre-install,pre-upgrade`, which Argo CD runs as
 * PreSync: argo-cd v3.5.1 gitops-engine pkg/sync/hook/helm/type.go) is a hook to the capture watcher, and
 * `helm.sh/hook-output-log-policy` (Helm 3.15+, HIP-0019: `hook-succeeded`, `hook-failed`) decides whether
 * its logs are captured and shown. The webhook body is the `presync-job-failed` fixture (argo-cd v3.5.1).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { KubeObject } from '../../support/kube-api-server.js';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';
import { startService } from '../../../src/main.js';
import { waitUntil } from '../../support/service-http.js';
import { clusterServiceConfig, clusterTestbed, outboxFiles } from '../../support/cluster-service.js';
import { sqliteStoreOf } from '../../support/sqlite-service-store.js';

const TOKEN = 'helm-hooks-test-token-0123456789';
const LOG = 'ERROR: relation "ledger" does not exist\n';

/** A Helm pre-install/pre-upgrade hook Job (no Argo CD hook annotation) with the given log policy. */
function helmJob(logPolicy: string | null): KubeObject {
  const job = hookJob({ hookType: null, active: 1 });
  job.metadata.annotations = {
    ...job.metadata.annotations,
    'helm.sh/hook': 'pre-install,pre-upgrade',
    'helm.sh/hook-delete-policy': 'before-hook-creation',
    ...(logPolicy === null ? {} : { 'helm.sh/hook-output-log-policy': logPolicy }),
  };
  return job;
}

for (const [policy, logged] of [
  ['hook-succeeded', false],
  ['hook-failed', true],
] as const) {
  t.test(`helm.sh/hook-output-log-policy: ${policy}: a failed Helm hook's logs are ${logged ? '' : 'not '}captured`, async (t) => {
    const { kube, dir, outbox } = await clusterTestbed(t);
    const config = clusterServiceConfig({ dir, kube, token: TOKEN });
    const service = await startService(config, pino({ level: 'silent' }));
    t.teardown(() => service.close());
    await waitUntil('the pod watch is open', () => kube.openWatches >= 1, { intervalMs: 10 });

    const job = kube.putJob(helmJob(policy));
    kube.setLog('payments', 'db-migrate-hm001', 'migrate', LOG);
    kube.putPod(jobPod(job, { name: 'db-migrate-hm001', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
    const captures = sqliteStoreOf(service).captureStore({ ttlMs: 3_600_000, maxTotalBytes: 1024 * 1024 * 1024 });
    let captured: ReturnType<typeof captures.forJob>[number] | undefined;
    await waitUntil('the Helm hook pod is captured', () => (captured = captures.forJob('https://kubernetes.default.svc', 'payments', 'db-migrate', Date.now())[0]) !== undefined, { intervalMs: 10 });
    const container = captured?.pod.containers[0];
    t.equal(container?.log?.text ?? null, logged ? LOG : null, 'the capture follows the policy');
    if (!logged) t.match(container?.logUnavailable, /helm\.sh\/hook-output-log-policy \(hook-succeeded\)/, 'and says why it has no log');
    t.equal(captured?.job?.deletePolicy, 'BeforeHookCreation', "Helm's delete policy in Argo CD's words");

    const res = await fetch(`${service.url}/v1/argocd/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(contractBody(loadApplication('presync-job-failed'), 'hook-failed')),
    });
    t.equal(res.status, 202);
    let file: string | undefined;
    await waitUntil('the alert', () => (file = outboxFiles(outbox)[0]) !== undefined, { intervalMs: 10 });
    const slack = readFileSync(join(outbox, file ?? ''), 'utf8');
    if (logged) t.match(slack, /relation \\"ledger\\" does not exist/, 'the alert shows the log');
    else t.notMatch(slack, /ledger/, 'the alert does not show the log');
  });
}
