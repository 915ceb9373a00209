import t from 'tap';
import { SlackApiServer } from '../support/slack-api-server.js';
import { failedBodyForOperation } from '../support/contract-bodies.js';
import { getJson, postEvent, waitForDrain, waitUntil } from '../support/service-http.js';
import { rootPostsPerIncident } from '../support/slack-posts.js';
import { slackEnv } from '../support/worker-harness.js';
import { startPostgresServer } from '../support/postgres.js';
import { startServiceProcess } from '../support/service-process.js';

/**
 * The PostgreSQL server goes away while alerts wait for delivery (Slack is down too), then comes back.
 * Meanwhile webhooks get 503 (Argo CD retries them) and /readyz says why; afterwards every event accepted
 * before, during (none) and after the outage is delivered, once. bench/replicas-bench.ts times a 30 s outage.
 */

const TOKEN = 'postgres-outage-token-0123456789';

t.test('PostgreSQL down: 503 and /readyz says why; nothing accepted is lost; delivery resumes when it is back', async (t) => {
  const server = await startPostgresServer(t);
  if (server === null) {
    void t.skip('no PostgreSQL server package on this machine (.ci/run installs it)', () => undefined);
    return;
  }
  const slack = await SlackApiServer.start({ channels: [{ id: 'C0OUTAGE', name: 'deploys', member: true }] });
  t.teardown(() => slack.close());
  const dir = t.testdir({
    'config.yaml': JSON.stringify({
      kubernetes: { enabled: 'false' },
      // A send whose outcome could not be recorded (the database went away) is retried when its lease ends.
      worker: { pollIntervalMs: 50, leaseMs: 20_000, sendTimeoutMs: 15_000, retry: { initialDelayMs: 200, maxDelayMs: 1_000 } },
    }),
  });
  const svc = await startServiceProcess(
    t,
    ['--config', `${dir}/config.yaml`],
    { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: `${dir}/data`, HOOK_ALERTS_DATABASE_URL: server.url, LOG_LEVEL: 'info', ...slackEnv(slack, '#deploys') },
    { built: true },
  );
  const incidents = new Set<string>();
  const accept = async (from: number, count: number): Promise<void> => {
    for (let i = from; i < from + count; i += 1) {
      const answer = await postEvent(svc.url, TOKEN, failedBodyForOperation(i, `svc-${i % 5}`));
      if (answer.status !== 202 || typeof answer.json.incident !== 'string') throw new Error(`event ${i}: ${answer.status} ${JSON.stringify(answer.json)}`);
      incidents.add(answer.json.incident);
    }
  };
  await accept(0, 20);
  await waitForDrain(svc.url, 'the first 20 are delivered');
  // Slack down: the next 20 wait in the database for their retry when it goes away.
  slack.down = true;
  await accept(20, 20);
  await server.stop();

  const during = await postEvent(svc.url, TOKEN, failedBodyForOperation(1_000, 'svc-outage')).catch((err: unknown) => ({ status: -1, json: { error: String(err) } }));
  t.equal(during.status, 503, `a webhook during the outage gets 503 (Argo CD retries it): ${JSON.stringify(during.json)}`);
  t.match(during.json, { error: 'HA_ERR_DATABASE_UNAVAILABLE', message: /database unreachable: .*check that PostgreSQL is up/ }, 'the 503 says what failed and what to check');
  const ready = await getJson(`${svc.url}/readyz`);
  t.equal(ready.status, 503, '/readyz fails');
  t.match(ready.json, { status: 'not ready', reasons: [/^database unreachable: /] }, `/readyz says why: ${JSON.stringify(ready.json)}`);
  const health = await getJson(`${svc.url}/healthz`);
  t.equal(health.status, 200, '/healthz still answers: the process is alive, Kubernetes must not restart it');

  await server.start();
  slack.down = false;
  await waitUntil('/readyz recovers', async () => (await getJson(`${svc.url}/readyz`)).status === 200);
  await accept(40, 20);
  await waitForDrain(svc.url, 'everything accepted is delivered after the outage');
  const posts = rootPostsPerIncident(slack);
  t.equal(incidents.size, 60, '60 events accepted (20 before, 20 waiting through the outage, 20 after)');
  t.same([...incidents].filter((i) => !posts.has(i)), [], 'every accepted event was posted');
  t.same([...posts].filter(([, n]) => n > 1), [], 'none twice');
  t.notOk(svc.logs.some((l) => l.level === 60), 'no fatal log line');
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0, 'SIGTERM exits 0');
});
