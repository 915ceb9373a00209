import t from 'tap';
import { pino } from 'pino';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { metricSample } from '../../support/prom-text.js';
import { waitUntil } from '../../support/service-http.js';
import { createEnrichment } from '../../../src/enrich/enrichment.js';
import { kubernetesConfigSchema, scrubConfigSchema } from '../../../src/enrich/enrich-config.js';
import { Metrics } from '../../../src/metrics.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

// The alarms of deploy/monitoring read these: a pod watch that RBAC refuses shows as down, with each
// refused call counted by kind, and comes up when the grant arrives.
t.test('a refused pod watch: capture_watch_up 0 and forbidden calls counted; 1 once it is allowed', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir();
  const kubeconfig = kube.writeKubeconfig(dir);
  kube.forbid('list', 'pods');
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const metrics = new Metrics({ defaultMetrics: false });
  const enrichment = createEnrichment(
    {
      kubernetes: kubernetesConfigSchema.parse({ enabled: 'true', stuck: { enabled: false } }),
      scrub: scrubConfigSchema.parse({}),
      hooks: { types: ['PreSync'] },
    },
    { store, logger: pino({ level: 'silent' }), metrics, onEventAccepted: () => undefined, env: { KUBECONFIG: kubeconfig, HOME: dir } },
  );
  if (enrichment === null) throw new Error('enrichment did not start');
  const text = async (): Promise<string> => metrics.registry.metrics();
  t.equal(metricSample(await text(), 'hook_alerts_kube_api_errors_total', { cluster: 'in-cluster', kind: 'forbidden' }), 0, 'the error counter starts at 0');
  enrichment.start();
  t.teardown(() => enrichment.stop());
  const up = async (): Promise<number | null> => metricSample(await text(), 'hook_alerts_capture_watch_up', { cluster: 'in-cluster', watched_namespace: 'all' });
  await waitUntil('the watch reports down', async () => (await up()) === 0);
  t.ok((metricSample(await text(), 'hook_alerts_kube_api_errors_total', { cluster: 'in-cluster', kind: 'forbidden' }) ?? 0) >= 1, 'the refused list is counted as forbidden');
  t.equal(metricSample(await text(), 'hook_alerts_watchers_leader', {}), 1, 'one replica, no election: it runs the watchers');
  kube.clearFaults();
  await waitUntil('the watch reports up after its backoff', async () => (await up()) === 1);
  t.pass('up once the list is allowed');
  await enrichment.stop();
  t.equal(await up(), null, 'a replica that stopped watching reports no watch');
});
