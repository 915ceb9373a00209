import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startServiceProcess } from '../../support/service-process.js';
import { failedBodyForOperation } from '../../support/contract-bodies.js';
import { getJson, postEvent, waitForDrain } from '../../support/service-http.js';
import { startPostgresServer } from '../../support/postgres.js';

// `serve` on PostgreSQL (HOOK_ALERTS_DATABASE_URL), as a replica of the HA overlay runs: it says which
// store it uses, deduplicates in the database and delivers end to end. The database going away is
// test/fault/postgres-outage.test.ts.

const TOKEN = 'postgres-service-token-0123456789';

function delivered(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'outbox')).sort();
  } catch {
    return [];
  }
}

t.test('serve on PostgreSQL names its store, deduplicates in the database and delivers end to end', async (t) => {
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
  const second = await postEvent(svc.url, TOKEN, failedBodyForOperation(2));
  t.equal(second.status, 202);
  await waitForDrain(svc.url);
  t.same(delivered(dataDir), [String(first.json.incident), String(second.json.incident)].sort(), 'both delivered end to end (file sink), each once');
  t.same((await getJson(`${svc.url}/readyz`)).json, { status: 'ready' });
  svc.child.kill('SIGTERM');
  t.equal(await svc.exited, 0, 'a clean shutdown');
});
