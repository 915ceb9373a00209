/**
 * hook-skipped through the running service and the Kubernetes API test server (issue 19 item 4,
 * argo-cd#25475). The webhook body is the `sync-succeeded` fixture (an argo-cd v3.5.1 Application whose
 * PreSync Job payments/db-migrate is recorded `Succeeded`, operation started 2026-11-20T15:12:09Z); the Jobs
 * are shaped like Kubernetes 1.31 reports them (test/support/kube-fixtures.ts). Whether the sync ran the Job
 * is in the cluster only: its creationTimestamp against the operation's startedAt.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { hookJob } from '../../support/kube-fixtures.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';
import { startService } from '../../../src/main.js';
import { waitUntil } from '../../support/service-http.js';
import { clusterServiceConfig, clusterTestbed, outboxFiles } from '../../support/cluster-service.js';

const TOKEN = 'skipped-test-token-0123456789';

/** The sync-succeeded body of `app`, whose one Job hook is `job`. */
function succeededBody(app: string, job: string): unknown {
  const body = contractBody(loadApplication('sync-succeeded'), 'sync-succeeded') as {
    app: { name: string };
    operationState: { syncResult: { resources: { kind: string; name: string }[] } };
  };
  body.app.name = app;
  for (const r of body.operationState.syncResult.resources) if (r.kind === 'Job') r.name = job;
  return body;
}

t.test('a hook Job older than the successful sync warns as hook-skipped; one the sync created does not', async (t) => {
  const { kube, dir, outbox } = await clusterTestbed(t);
  const complete = [{ type: 'Complete', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', at: '2026-11-19T08:01:40Z' }];
  // Left over from the day before: a healthy Job with a fixed name and no delete policy.
  kube.putJob(hookJob({ name: 'db-migrate', app: 'payments-api', createdAt: '2026-11-19T08:00:02Z', startTime: '2026-11-19T08:00:02Z', succeeded: 1, conditions: complete }));
  // Created by this sync (startedAt 15:12:09Z): it ran.
  kube.putJob(hookJob({ name: 'orders-migrate', app: 'orders-api', createdAt: '2026-11-20T15:12:11Z', startTime: '2026-11-20T15:12:11Z', succeeded: 1, conditions: complete }));

  const config = clusterServiceConfig({ dir, kube, token: TOKEN });
  const service = await startService(config, pino({ level: 'silent' }));
  t.teardown(() => service.close());
  const post = (body: unknown) =>
    fetch(`${service.url}/v1/argocd/events`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  t.equal((await post(succeededBody('orders-api', 'orders-migrate'))).status, 202);
  t.equal((await post(succeededBody('payments-api', 'db-migrate'))).status, 202);

  let file: string | undefined;
  await waitUntil('the skipped warning', () => (file = outboxFiles(outbox).find((f) => f.includes('-skipped'))) !== undefined, { intervalMs: 10 });
  const slack = readFileSync(join(outbox, file ?? ''), 'utf8');
  t.match(slack, /\[SKIPPED\] payments-api: PreSync hook db-migrate did not run in this sync/);
  t.match(slack, /Delete Job payments\/db-migrate and sync again/, 'it leads with what to do');
  t.match(slack, /2026-11-19T08:00:02Z/, 'and says when the Job was made');

  // Every event handled (the two successes and the warning): the Job this sync created raised nothing.
  await waitUntil('every event routed', async () => (await service.store.queueDepth()).events === 0, { intervalMs: 10 });
  const skipped = outboxFiles(outbox).filter((f) => f.includes('-skipped'));
  t.equal(skipped.length, 1, 'one warning, for the leftover Job only');
  t.notMatch(readFileSync(join(outbox, skipped[0] ?? ''), 'utf8'), /orders-migrate/);
  t.same(outboxFiles(outbox).filter((f) => !f.includes('-skipped')), [], 'a success with nothing open and nothing skipped sends nothing (no "resolved" for an incident never opened)');
});
