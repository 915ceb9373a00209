import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startServiceProcess } from '../../support/service-process.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';
import { getJson, postEvent, waitForDrain, waitUntil } from '../../support/service-http.js';
import { startPostgresServer } from '../../support/postgres.js';

// `serve` on PostgreSQL (HOOK_ALERTS_DATABASE_URL), as a replica of the HA overlay runs: it delivers end
// to end, and while the database is down it answers webhooks 503 (Argo CD retries them) and /readyz says
// why; what it accepted before is delivered, and it takes events again once the database is back.

const TOKEN = 'postgres-service-token-0123456789';

function delivered(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'outbox')).sort();
  } catch {
    return [];
  }
}

t.test('serve on PostgreSQL delivers; with the database down: 503 to webhooks, /readyz says why; back: delivers again', async (t) => {
  const server = await startPostgresServer(t);
  if (server === null) {
    t.comment('skipped: no PostgreSQL server package on this machine');
    return;
  }
  const dataDir = t.testdir({});
  const svc = await startServiceProcess(t, [], {
    HOOK_ALERTS_TOKEN: TOKEN,
    HOOK_ALERTS_DATA_DIR: dataDir,
    HOOK_ALERTS_DATABASE_URL: server.url,
    LOG_LEVEL: 'info',
  });
  t.match(svc.logs.find((l) => l.msg === 'argocd-hook-alerts is listening'), { store: 'postgres', location: server.url });

  const first = await postEvent(svc.url, TOKEN, failedBodyForOperation(1));
  t.equal(first.status, 202);
  t.same((await postEvent(svc.url, TOKEN, failedBodyForOperation(1))).json, { incident: first.json.incident, duplicate: true }, 'deduplicated in the database');
  await waitForDrain(svc.url);
  t.same(delivered(dataDir), [String(first.json.incident)], 'delivered end to end (file sink)');
  t.same((await getJson(`${svc.url}/readyz`)).json, { status: 'ready' });

  await server.stop();
  const ready = await getJson(`${svc.url}/readyz`);
  t.equal(ready.status, 503);
  t.match(ready.json, { status: 'not ready', reasons: [/^database unreachable: /] });
  const refused = await postEvent(svc.url, TOKEN, failedBodyForOperation(2));
  t.equal(refused.status, 503, 'a webhook is refused with 503, so Argo CD retries it');
  t.match(refused.json, { error: 'HA_ERR_DATABASE_UNAVAILABLE', message: /database unreachable: .*check that PostgreSQL is up/ });
  t.notOk(svc.logs.some((l) => l.level === 60), 'nothing fatal: the service keeps running');

  await server.start();
  await waitUntil('/readyz is ready again', async () => (await getJson(`${svc.url}/readyz`)).status === 200);
  const retried = await postEvent(svc.url, TOKEN, failedBodyForOperation(2));
  t.equal(retried.status, 202, "Argo CD's retry is accepted");
  await waitForDrain(svc.url);
  t.same(delivered(dataDir), [String(first.json.incident), String(retried.json.incident)].sort(), 'both delivered, each once');
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0, 'a clean shutdown');
});
