/*
 * The Application backstop across a lost watch (issue 19 item 1): the Kubernetes API test server compacts
 * its history while the backstop's watch is away, so the resume answers 410 Gone and only a relist shows
 * the failed operation that happened meanwhile. The Applications are test/fixtures/apps/presync-job-failed.json
 * (status shapes of argo-cd v3.5.1 pkg/apis/application/v1alpha1/types.go: OperationState, SyncOperationResult,
 * ResourceResult), each operation's startedAt/finishedAt moved to just now.
 */
import t from 'tap';
import { KubeApiServer, type KubeObject } from '../../support/kube-api-server.js';
import { loadApplication } from '../../support/contract-bodies.js';
import { waitUntil } from '../../support/service-http.js';
import { metricValue } from '../../support/prom-text.js';
import { capturingLogger } from '../../support/log-capture.js';
import { configSchema } from '../../../src/config/schema.js';
import { createService } from '../../../src/main.js';

/** The failed PreSync Application with an operation that started `startedAgoS` seconds ago. */
function failedOperation(startedAgoS: number): KubeObject {
  const app = loadApplication('presync-job-failed') as KubeObject;
  const op = (app.status as { operationState: { startedAt: string; finishedAt: string } }).operationState;
  op.startedAt = new Date(Date.now() - startedAgoS * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  op.finishedAt = new Date(Date.now() - (startedAgoS - 30) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return app;
}

const isApplicationList = (path: string, query: Record<string, string>): boolean => path.endsWith('/argoproj.io/v1alpha1/namespaces/argocd/applications') && query.watch !== 'true';

t.test('410 Gone while the watch was away: the relist raises the failure it missed, and nothing twice', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir({});
  const { logger } = capturingLogger('error');
  const service = await createService(
    configSchema.parse({
      dataDir: dir,
      server: { host: '127.0.0.1', port: 0, token: 'relist-test-token-0123456789' },
      worker: { pollIntervalMs: 20 },
      kubernetes: { enabled: 'true', backstop: { enabled: true } },
    }),
    { logger, env: { KUBECONFIG: kube.writeKubeconfig(dir), HOME: dir } },
  );
  t.teardown(() => service.close());
  const url = await service.listen();
  const outcomes = async (outcome: 'accepted' | 'duplicate'): Promise<number> =>
    metricValue(await (await fetch(`${url}/metrics`)).text(), 'hook_alerts_backstop_events_total', { outcome });
  const incidents = async (): Promise<number> => new Set((await service.store.listDeliveries()).filter((d) => d.kind === 'failed').map((d) => d.incidentId)).size;
  const lists = (): number => kube.requests.filter((q) => isApplicationList(q.path, q.query)).length;

  kube.putApplication(failedOperation(600));
  await waitUntil('the first failed operation raised', async () => (await outcomes('accepted')) === 1 && (await incidents()) === 1);
  t.equal(lists(), 1, 'one list at the start');

  // The watch drops; its reconnection waits while the second operation fails and the history is compacted.
  const held = kube.hold(/\/argoproj\.io\/v1alpha1\/namespaces\/argocd\/applications$/);
  kube.closeWatches();
  await waitUntil('the watch reconnecting', () => held.held > 0);
  kube.putApplication(failedOperation(120));
  kube.expireWatches();
  held.release();

  await waitUntil('the missed failed operation raised from the relist', async () => (await outcomes('accepted')) === 2 && (await incidents()) === 2);
  t.ok(lists() >= 2, 'relisted after 410 Gone');
  t.equal(await outcomes('duplicate'), 0, 'the relist did not raise the first operation again');

  // A relist that shows nothing new asks the store nothing: the next failure is the only thing it offers.
  const before = lists();
  kube.expireWatches();
  await waitUntil('relisted again', () => lists() > before && kube.openWatches > 0);
  kube.putApplication(failedOperation(30));
  await waitUntil('the third failed operation raised', async () => (await outcomes('accepted')) === 3 && (await incidents()) === 3);
  t.equal(await outcomes('duplicate'), 0, 'the unchanged Application was not offered to the store again');
  t.equal(await incidents(), 3, 'one incident per failed operation');
});
