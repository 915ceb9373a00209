/**
 * "Hook failed, sync still running" through the running service and the Kubernetes API test server (issue 19
 * item 3). gitops-engine (argo-cd v3.5.1, pkg/sync/sync_context.go Sync) keeps the operation Running while any
 * task of the wave still runs, and only then marks it Failed and lets the trigger fire: a failed hook beside a
 * long one is silent until then. Job and pod statuses are shaped like Kubernetes v1.31 reports them (a Job
 * that exhausted its backoffLimit: FailureTarget then Failed, reason BackoffLimitExceeded).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { startService } from '../../../src/main.js';
import { waitUntil } from '../../support/service-http.js';
import { clusterServiceConfig, clusterTestbed, outboxFiles } from '../../support/cluster-service.js';

const FAILED = [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:03:40Z' }];

t.test('a hook that fails while another hook of its app runs is alerted at once, once; a lone failed hook is left to Argo CD', async (t) => {
  const { kube, dir, outbox } = await clusterTestbed(t);
  const failedPod = (job: ReturnType<typeof hookJob>, name: string) =>
    jobPod(job, { name, phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] });

  // A lone failed hook of another app: Argo CD ends that operation at once and notifies; no early alert.
  const lone = kube.putJob(hookJob({ name: 'orders-migrate', app: 'orders-api', failed: 1, conditions: FAILED }));
  kube.putPod(failedPod(lone, 'orders-migrate-9xk2p'));
  // payments-api: db-migrate failed while seed-data (same wave) still runs.
  const failed = kube.putJob(hookJob({ name: 'db-migrate', app: 'payments-api', failed: 1, conditions: FAILED }));
  kube.putPod(failedPod(failed, 'db-migrate-k2x9p'));
  const running = kube.putJob(hookJob({ name: 'seed-data', app: 'payments-api', active: 1 }));
  kube.putPod(jobPod(running, { name: 'seed-data-7fq2m', phase: 'Running', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.running() }] }));

  const config = clusterServiceConfig({ dir, kube, token: 'failed-running-test-token-0123456789', kubernetes: { failedWhileRunning: { checkIntervalMs: 100 } } });
  const service = await startService(config, pino({ level: 'silent' }));
  t.teardown(() => service.close());

  let file: string | undefined;
  await waitUntil('the early failure alert', () => (file = outboxFiles(outbox).find((f) => f.includes('-failed'))) !== undefined, { intervalMs: 10 });
  const slack = readFileSync(join(outbox, file ?? ''), 'utf8');
  t.match(slack, /\[FAILED\] payments-api: PreSync hook db-migrate failed.*, sync still running/, 'the headline says the sync still runs');
  t.match(slack, /Hook Job payments\/db-migrate failed: look at its logs and fix it/, 'it leads with what to do');
  t.match(slack, /payments\/seed-data/, 'and names the hook that keeps the operation Running');

  // More passes go by until another app's early failure: still one alert for db-migrate, none for the lone hook.
  const later = kube.putJob(hookJob({ name: 'late-migrate', app: 'billing-api', failed: 1, conditions: FAILED }));
  kube.putPod(failedPod(later, 'late-migrate-2b7qd'));
  const sibling = kube.putJob(hookJob({ name: 'late-seed', app: 'billing-api', active: 1 }));
  kube.putPod(jobPod(sibling, { name: 'late-seed-5mz8r', phase: 'Running', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.running() }] }));
  await waitUntil('the second early failure alert', () => outboxFiles(outbox).some((f) => readFileSync(join(outbox, f), 'utf8').includes('billing-api')), { intervalMs: 10 });
  const all = outboxFiles(outbox).map((f) => readFileSync(join(outbox, f), 'utf8'));
  t.equal(all.filter((s) => s.includes('db-migrate')).length, 1, 'one failed hook, one alert');
  t.equal(all.filter((s) => s.includes('orders-api')).length, 0, 'a failed hook with nothing else running is left to Argo CD');
});
