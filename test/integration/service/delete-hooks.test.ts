/*
 * Delete hooks (Argo CD 3.3+) through the running service: a failed PreDelete hook shows only as a
 * `DeletionError` condition of the Application (fixtures test/fixtures/apps/predelete-hook-failed.json and
 * postdelete-hook-failed.json, shapes from argo-cd v3.5.1). The body is what the generated template renders.
 */
import t from 'tap';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { loadApplication, renderedBody } from '../../support/contract-bodies.js';
import { serviceWithCluster } from '../../support/service-with-cluster.js';

t.test('a failed PreDelete hook is alerted from its DeletionError condition, one incident per deletion', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const job = kube.putJob(
    hookJob({
      name: 'db-backup',
      hookType: 'PreDelete',
      failed: 1,
      createdAt: '2026-11-22T10:15:20Z',
      conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-22T10:16:30Z' }],
    }),
  );
  kube.putPod(jobPod(job, { name: 'db-backup-x7k2p', phase: 'Failed', createdAt: '2026-11-22T10:15:21Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-backup-x7k2p', 'migrate', 'pg_dump: error: connection to server failed: FATAL: role "backup" does not exist\n');

  const { post, alert: alertWhere } = await serviceWithCluster(t, kube, t.testdir(), ['PreSync', 'PreDelete']);

  const app = loadApplication('predelete-hook-failed');
  const first = await post(renderedBody(app, 'hook-failed'));
  t.equal(first.status, 202);
  t.type(first.body.incident, 'string', `the delete hook opens an incident: ${JSON.stringify(first.body)}`);

  // The stale Succeeded operation of the last sync is not the incident: the deletion is.
  const stale = await post(renderedBody(loadApplication('sync-succeeded'), 'hook-failed'));
  t.same(stale.body.incident, null, 'without the DeletionError the same app has no failed hook');

  // Argo CD deletes the failed hook, creates it again on the next reconcile, and it fails again: the
  // condition is set anew (a new lastTransitionTime), the same deletion, so the same incident.
  const again = structuredClone(app);
  const status = again.status as { conditions: { lastTransitionTime: string }[] };
  const [condition] = status.conditions;
  if (condition !== undefined) condition.lastTransitionTime = '2026-11-22T10:19:02Z';
  const second = await post(renderedBody(again, 'hook-failed'));
  t.equal(second.body.incident, first.body.incident, 'a second failed attempt of the same deletion is the same incident');
  t.equal(second.body.duplicate, false, 'but a new event (the thread gets it)');

  const alert = await alertWhere('the PreDelete alert in the outbox', (text) => text.includes('PreDelete hook db-backup'));
  t.match(alert, /PreDelete hook db-backup failed/, 'the headline names the delete hook');
  t.match(alert, /error executing pre-delete hooks: PreDelete hook\(s\) failed: payments\/db-backup/, "Argo CD's condition message leads");
  t.match(alert, /role \\"backup\\" does not exist/, "the hook pod's log is in the alert");

  // PostDelete is not among the alerting types here: its failure is answered, not alerted.
  const postDelete = await post(renderedBody(loadApplication('postdelete-hook-failed'), 'hook-failed'));
  t.equal(postDelete.status, 202);
  t.same(postDelete.body.incident, null, `a PostDelete failure with PostDelete not chosen is ignored: ${JSON.stringify(postDelete.body)}`);
});
