/**
 * hook-blocked through the running service and the Kubernetes API test server (issue 19 item 3). Pod
 * statuses are shaped like a Kubernetes v1.31 kubelet reports them: the waiting reasons and messages come
 * from pkg/kubelet/kubelet_pods.go (`secret "…" not found`) and pkg/kubelet/images/image_manager.go
 * (`Back-off pulling image "…"`). Time is driven by the config (kubernetes.blocked.afterSeconds), not sleeps.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { startService } from '../../../src/main.js';
import { waitForValue } from '../../support/service-http.js';
import { clusterServiceConfig, clusterTestbed, outboxFiles } from '../../support/cluster-service.js';

t.test('a hook pod in CreateContainerConfigError is alerted once as hook-blocked, before the stuck threshold', async (t) => {
  const { kube, dir, outbox } = await clusterTestbed(t);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  const job = kube.putJob(hookJob({ name: 'db-migrate', app: 'payments-api', startTime: now, active: 1 }));
  const podOf = (message: string) =>
    jobPod(job, {
      name: 'db-migrate-k2x9p',
      uid: 'a7d3c1e2-5b4f-4e8a-9c0d-1f2e3d4c5b6a',
      phase: 'Pending',
      createdAt: now,
      statuses: [{ name: 'migrate', state: states.waiting('CreateContainerConfigError', message) }],
    });
  kube.putPod(podOf('secret "payments-db" not found'));

  const config = clusterServiceConfig({
    dir,
    kube,
    token: 'blocked-test-token-0123456789',
    kubernetes: {
      // The stuck threshold is far away: only the blocked watcher can raise this alert.
      stuck: { thresholdMinutes: 60, checkIntervalMs: 1_000 },
      blocked: { afterSeconds: 1, checkIntervalMs: 100 },
    },
  });
  const service = await startService(config, pino({ level: 'silent' }));
  t.teardown(() => service.close());

  const file = await waitForValue('the blocked alert', () => outboxFiles(outbox, '.slack.json').find((f) => f.includes('-blocked')));
  const slack = readFileSync(join(outbox, file), 'utf8');
  t.match(slack, /\[BLOCKED\] payments-api: PreSync hook db-migrate cannot start \(CreateContainerConfigError\)/, 'the headline says what and why');
  t.match(slack, /Create Secret \\"payments-db\\" in namespace payments/, 'the alert leads with what to do, naming the Secret');
  // The file sink writes the mail after the Slack message.
  const emlFile = await waitForValue('the blocked mail', () => outboxFiles(outbox, '.eml').find((f) => f === file.replace(/\.slack\.json$/, '.eml')));
  const email = readFileSync(join(outbox, emlFile), 'utf8');
  t.match(email, /Subject: \[BLOCKED\] payments-api/, 'the email says it too');

  // The kubelet keeps reporting the same pod (its message changes as it retries): still one alert. A
  // second blocked hook afterwards shows the watcher went on checking meanwhile.
  kube.update('pods', 'payments', 'db-migrate-k2x9p', (p) => Object.assign(p, podOf('couldn\'t find key password in Secret payments/payments-db')));
  const other = kube.putJob(hookJob({ name: 'seed-data', app: 'orders-api', startTime: now, active: 1 }));
  kube.putPod(
    jobPod(other, {
      name: 'seed-data-7fq2m',
      phase: 'Pending',
      createdAt: now,
      statuses: [{ name: 'migrate', image: 'ghcr.io/example-org/orders-seed:9.9.9', state: states.waiting('ImagePullBackOff', 'Back-off pulling image "ghcr.io/example-org/orders-seed:9.9.9"') }],
    }),
  );
  const second = await waitForValue('the second blocked alert', () =>
    outboxFiles(outbox, '.slack.json').find((f) => f.includes('-blocked') && readFileSync(join(outbox, f), 'utf8').includes('seed-data')),
  );
  t.match(readFileSync(join(outbox, second), 'utf8'), /cannot be pulled/);
  const forFirst = outboxFiles(outbox, '.slack.json').filter((f) => f.includes('-blocked') && readFileSync(join(outbox, f), 'utf8').includes('db-migrate'));
  t.equal(forFirst.length, 1, 'one blocked pod, one alert');
});
