/*
 * Argo CD 3.x facts through the running service and the Kubernetes API test server (issue 19 item 7):
 * the images Argo CD records per resource (3.1) stand in for a deleted Job, a retry with `retry.refresh`
 * (3.2) that syncs another revision stays one incident, and when the operation ends in Error with its
 * running hooks cut off as `Terminated`, the operation's message leads the alert.
 */
import t from 'tap';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { loadApplication, renderedBody } from '../../support/contract-bodies.js';
import { serviceWithCluster } from '../../support/service-with-cluster.js';

t.test('Argo CD 3.x: images of a deleted Job, retry.refresh, a SyncWaveHook error', async (t) => {
  // An empty cluster: every Job of these events is gone.
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const service = await serviceWithCluster(t, kube, t.testdir());
  const post = async (body: unknown): Promise<Record<string, unknown>> => {
    const res = await service.post(body);
    t.equal(res.status, 202);
    return res.body;
  };
  const alertOf = (app: string): Promise<string> => service.alert(`the alert of ${app}`, (text) => text.includes(`] ${app}:`));

  await t.test('a SyncWaveHook error: the operation message leads, the image stands in for the Job', async (t) => {
    const res = await post(renderedBody(loadApplication('presync-hook-terminated-wave-hook-error'), 'hook-failed'));
    t.type(res.incident, 'string');
    const alert = await alertOf('ledger-sync');
    const slack = JSON.parse(alert) as { text: string };
    t.equal(
      slack.text,
      ':red_circle: [FAILED] ledger-sync: SyncWaveHook failed: waiting for wave -1 of phase PreSync: context deadline exceeded (PreSync hook db-migrate terminated)',
      'the headline leads with the operation message, not "Terminated"',
    );
    t.match(alert, /image ghcr\.io\/example-org\/payments-migrations:2\.41\.0 \(recorded by Argo CD; the Job is gone\)/, 'the image from syncResult');
    t.match(alert, /deleted by Argo CD when the sync stopped with an error/, 'why the Job is gone');
  });

  await t.test('retry.refresh: two attempts on two revisions are one incident', async (t) => {
    const first = structuredClone(loadApplication('presync-job-retrying-refresh'));
    const attempt1 = await post(renderedBody(first, 'hook-retrying'));
    const second = structuredClone(first);
    const op = (second.status as { operationState: Record<string, unknown> }).operationState;
    op.retryCount = 2;
    op.finishedAt = '2026-11-19T09:42:51Z';
    op.message = 'one or more synchronization tasks completed unsuccessfully, reason: Job has reached the specified backoff limit. Retrying attempt #2 at 9:43AM.';
    (op.syncResult as Record<string, unknown>).revision = '4.7.3';
    const attempt2 = await post(renderedBody(second, 'hook-retrying'));
    t.type(attempt1.incident, 'string');
    t.equal(attempt2.incident, attempt1.incident, 'the incident is the operation (startedAt), whatever revision each attempt synced');
    t.equal(attempt2.duplicate, false, 'the second attempt is a new event of it');
  });
});
