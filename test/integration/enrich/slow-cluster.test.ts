/**
 * One slow cluster must not delay every alert: enrichment runs beside delivery, a few events per cluster,
 * and readiness means "can accept webhooks" (issue: 15 of 16 alerts waited 85 s behind a hanging API
 * server, and /readyz answered 503 meanwhile).
 */
import t, { type Test } from 'tap';
import { createService, type Service } from '../../../src/main.js';
import { loadConfig, type JsonObject } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { hookFailedBody, operationStart } from '../../support/hook-failed-body.js';
import { getJson, postEvent, waitUntil } from '../../support/service-http.js';

const TOKEN = 'slow-cluster-token-0123456789';
const HANGING = 'https://hanging.example.com';
const HEALTHY = 'https://healthy.example.com';

/** The service in `dir` (the test's directory, where the kubeconfigs are), posting to a Slack test server. */
async function service(t: Test, dir: string, kubeconfigs: { server: string; kubeconfig: string }[], bounds: JsonObject): Promise<{ svc: Service & { url: string }; slack: SlackApiServer }> {
  const slack = await SlackApiServer.start();
  t.teardown(() => slack.close());
  const config = loadConfig({
    env: { HOOK_ALERTS_TOKEN: TOKEN, SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.apiUrl, SLACK_CHANNEL: '#deploys', HOME: dir },
    overrides: {
      dataDir: dir,
      server: { host: '127.0.0.1', port: 0 },
      worker: { pollIntervalMs: 20 },
      kubernetes: { enabled: 'true', clusters: kubeconfigs, bounds, capture: { enabled: false }, stuck: { enabled: false }, blocked: { enabled: false }, failedWhileRunning: { enabled: false } },
    },
  });
  // Inline, so that the last test can stop the worker itself.
  const built = await createService(config, { logger: createLogger('silent') });
  // Closed before the servers it talks to (teardowns run last first): its stop ends the hanging enrichment.
  t.teardown(() => built.close());
  return { svc: { ...built, url: await built.listen() }, slack };
}

function failedJob(kube: KubeApiServer): void {
  const job = kube.putJob(hookJob({ failed: 1 }));
  kube.putPod(jobPod(job, { name: 'db-migrate-x7k2p', phase: 'Failed', createdAt: '2026-11-20T14:02:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'db-migrate-x7k2p', 'migrate', 'ERROR: relation "ledger" does not exist\n');
}

t.test('15 alerts of a healthy cluster go out while the enrichment of one on a hanging cluster is pending', async (t) => {
  const hanging = await KubeApiServer.start();
  t.teardown(() => hanging.close());
  hanging.fault({ path: /.*/, respond: 'hang' });
  const healthy = await KubeApiServer.start();
  t.teardown(() => healthy.close());
  failedJob(healthy);
  const dir = t.testdir({});
  const { svc, slack } = await service(
    t,
    dir,
    [
      { server: HANGING, kubeconfig: hanging.writeKubeconfig(dir, { file: 'hanging.yaml' }) },
      { server: HEALTHY, kubeconfig: healthy.writeKubeconfig(dir, { file: 'healthy.yaml' }) },
    ],
    // The hang outlasts the test: only the other events' progress can end the wait below.
    { callTimeoutMs: 120_000, deadlineMs: 300_000 },
  );

  t.equal((await postEvent(svc.url, TOKEN, hookFailedBody({ app: 'app-on-hanging', destination: { server: HANGING } }))).status, 202);
  await waitUntil('the hanging cluster is asked', () => hanging.requests.some((r) => r.status === -1));
  for (let i = 1; i < 16; i += 1) {
    t.equal((await postEvent(svc.url, TOKEN, hookFailedBody({ app: `app-${i}`, startedAt: operationStart(i), destination: { server: HEALTHY } }))).status, 202);
  }
  await waitUntil('15 alerts in Slack', () => slack.messages.length >= 15, { maxMs: 60_000 });
  t.equal(slack.messages.length, 15, 'the 15 alerts of the healthy cluster went out');
  t.ok(slack.messages.every((m) => !m.text.includes('app-on-hanging')), 'the one on the hanging cluster is still being enriched');
  t.ok(hanging.requests.every((r) => r.status === -1), 'its request still hangs');
  t.match(JSON.stringify(slack.messages[0]?.blocks), /relation \\"ledger\\" does not exist/, 'the healthy cluster\'s alerts are enriched');
  const ready = await getJson(`${svc.url}/readyz`);
  t.equal(ready.status, 200, 'ready: webhooks are accepted while a cluster hangs');
  const health = await getJson(`${svc.url}/healthz`);
  t.match(health.json, { status: 'ok', worker: { running: true, passing: true, enriching: 1 } }, '/healthz reports the worker and the enrichment in flight');
});

t.test('16 events on one hanging cluster: after the first call timeouts the others fail fast and all go out', async (t) => {
  const hanging = await KubeApiServer.start();
  t.teardown(() => hanging.close());
  hanging.fault({ path: /.*/, respond: 'hang' });
  const dir = t.testdir({});
  const { svc, slack } = await service(t, dir, [{ server: HANGING, kubeconfig: hanging.writeKubeconfig(dir) }], { callTimeoutMs: 1_000, deadlineMs: 30_000, eventsPerCluster: 2 });
  const posted = Date.now();
  for (let i = 0; i < 16; i += 1) {
    t.equal((await postEvent(svc.url, TOKEN, hookFailedBody({ app: `app-${i}`, startedAt: operationStart(i), destination: { server: HANGING } }))).status, 202);
  }
  const sentAt: number[] = [];
  await waitUntil(
    '16 alerts in Slack',
    () => {
      while (sentAt.length < slack.messages.length) sentAt.push(Date.now() - posted);
      return slack.messages.length >= 16;
    },
    { maxMs: 60_000 },
  );
  t.comment(`delivered at ${sentAt.join(', ')} ms after the first POST`);
  // Each enrichment's first wave is 3 calls (Job, pods, Job events), all made together.
  t.ok(hanging.requests.length <= 6, `the cluster was asked ${hanging.requests.length} times (2 events at once, 3 calls each, then not again while it is silent), not once per event`);
  t.ok(
    slack.messages.every((m) => /did not answer in time/.test(JSON.stringify(m.blocks))),
    'each alert says the cluster did not answer',
  );
});

t.test('readiness does not depend on the worker: a stopped worker leaves /readyz 200 and shows on /healthz', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir({});
  const { svc } = await service(t, dir, [{ server: HEALTHY, kubeconfig: kube.writeKubeconfig(dir) }], {});
  await svc.worker.stop();
  t.equal((await getJson(`${svc.url}/readyz`)).status, 200);
  t.match((await getJson(`${svc.url}/healthz`)).json, { status: 'ok', worker: { running: false, passing: false } });
});
