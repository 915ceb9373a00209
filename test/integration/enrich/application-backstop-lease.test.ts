/*
 * The Application backstop under the watchers' Lease (issue 19 item 1; docs/ha.md): two replicas on one
 * PostgreSQL store and one Kubernetes API test server. Only the holder of the Lease watches Applications;
 * when it stops, the other takes the Lease over, relists, and finds the failure already stored: one
 * incident between them. The Application is test/fixtures/apps/presync-job-failed.json (status shapes of
 * argo-cd v3.5.1 pkg/apis/application/v1alpha1/types.go), its operation moved to just now.
 */
import t from 'tap';
import { KubeApiServer, type KubeObject } from '../../support/kube-api-server.js';
import { loadApplication } from '../../support/contract-bodies.js';
import { waitUntil } from '../../support/service-http.js';
import { metricValue } from '../../support/prom-text.js';
import { capturingLogger } from '../../support/log-capture.js';
import { testDatabase } from '../../support/postgres.js';
import { configSchema } from '../../../src/config/schema.js';
import { createService, type Service } from '../../../src/main.js';

interface Replica {
  name: string;
  service: Service;
  metric: (name: string, labels?: Record<string, string>) => Promise<number>;
}

t.test('one replica runs the backstop; after a handover the failure it raised is not raised again', async (t) => {
  const url = await testDatabase(t);
  if (url === null) return;
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir({});
  const kubeconfig = kube.writeKubeconfig(dir);
  const { logger } = capturingLogger('error');

  const start = async (name: string): Promise<Replica> => {
    const config = configSchema.parse({
      dataDir: dir,
      server: { host: '127.0.0.1', port: 0, token: 'backstop-lease-token-0123456789' },
      store: { postgres: { url } },
      worker: { pollIntervalMs: 20 },
      kubernetes: {
        enabled: 'true',
        leaderElection: { namespace: 'argocd-hook-alerts', leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 },
        backstop: { enabled: true },
      },
    });
    const service = await createService(config, { logger: logger.child({ replica: name }), env: { KUBECONFIG: kubeconfig, HOME: dir, POD_NAME: name } });
    t.teardown(() => service.close());
    const at = await service.listen();
    return { name, service, metric: async (metric, labels) => metricValue(await (await fetch(`${at}/metrics`)).text(), metric, labels) };
  };
  const replicas = [await start('replica-a'), await start('replica-b')];
  const leads = async (r: Replica): Promise<boolean> => (await r.metric('hook_alerts_watchers_leader')) === 1;
  await waitUntil('one replica holds the watchers Lease', async () => (await Promise.all(replicas.map(leads))).some(Boolean));
  const flags = await Promise.all(replicas.map(leads));
  const leader = replicas[flags.indexOf(true)];
  const follower = replicas[flags.indexOf(false)];
  if (leader === undefined || follower === undefined) throw new Error(`expected one holder of the Lease, got ${JSON.stringify(flags)}`);

  const app = loadApplication('presync-job-failed') as KubeObject;
  const op = (app.status as { operationState: { startedAt: string; finishedAt: string } }).operationState;
  op.startedAt = new Date(Date.now() - 120_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  op.finishedAt = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  kube.putApplication(app);
  const lists = (): number => kube.requests.filter((q) => q.path.endsWith('/argoproj.io/v1alpha1/namespaces/argocd/applications') && q.query.watch !== 'true').length;
  const incidents = async (): Promise<number> => new Set((await follower.service.store.listDeliveries()).filter((d) => d.kind === 'failed').map((d) => d.incidentId)).size;

  const accepted = async (r: Replica): Promise<number> => r.metric('hook_alerts_backstop_events_total', { outcome: 'accepted' });
  await waitUntil('the failure raised', async () => (await accepted(leader)) + (await accepted(follower)) > 0 && (await incidents()) === 1);
  t.equal(await accepted(leader), 1, 'the holder of the Lease raised it');
  t.equal(await accepted(follower), 0, 'the other replica raised nothing');
  t.equal(lists(), 1, 'only the holder of the Lease lists Applications');

  await leader.service.close();
  await waitUntil('the other replica takes the Lease over and relists', async () => (await leads(follower)) && lists() === 2);
  await waitUntil('its backstop finds the failure stored', async () => (await follower.metric('hook_alerts_backstop_events_total', { outcome: 'duplicate' })) === 1);
  t.equal(await accepted(follower), 0, 'not raised again after the handover');
  t.equal(await incidents(), 1, 'one incident between the two replicas');
});
