import t from 'tap';
import Fastify from 'fastify';
import { capturingLogger } from '../../support/log-capture.js';
import { storeIncident } from '../../support/incident-fixture.js';
import { waitUntil } from '../../support/service-http.js';
import { incidentRoutes } from '../../../src/incident-page/incident-routes.js';
import { PageAccess } from '../../../src/incident-page/page-access.js';
import { warmIncidentPage } from '../../../src/incident-page/page-warm-up.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

// The page's routes warm its code once the server listens, beside webhooks and probes: quietly whatever the
// store holds, and a store that fails costs a log line, never a rejection nobody awaits.

const WARMED = 'incident page code warmed on the newest incident';

t.test('once the server listens, the newest incident\'s page is rendered; the page then answers as usual', async (t) => {
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const { incidentId } = await storeIncident(store, { target: 'slack:C0DEPLOYS', attempts: 2 });
  const { logger, logs } = capturingLogger('debug');
  const app = Fastify({ loggerInstance: logger });
  t.teardown(() => app.close());
  const access = new PageAccess({ linkSigningKey: undefined, authProxy: { enabled: true, userHeader: 'x-forwarded-email' } }, null, null);
  await app.register(incidentRoutes, { store, access, publicUrl: undefined, clock: Date.now });
  await app.ready();
  t.notOk(logs.some((l) => l.msg === WARMED), 'not before the server listens (nor under inject)');
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  await waitUntil('the warm-up', () => logs.some((l) => l.msg === WARMED && l.incident === incidentId), { maxMs: 30_000 });
  t.same(logs.filter((l) => l.level === 40 || l.level === 50), [], 'no warning');
  const page = await fetch(`${base}/incidents/${incidentId}`, { headers: { 'x-forwarded-email': 'alice@example.com' } });
  t.equal(page.status, 200);
  t.match(await page.text(), /payments-api/);
});

t.test('an empty store: nothing to warm, nothing said', async (t) => {
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const { logger, logs } = capturingLogger('debug');
  await warmIncidentPage(store, logger, Date.now(), new AbortController().signal);
  t.same(logs, []);
});

t.test('a store that cannot be read: the warm-up logs why and resolves; after a close, it says nothing', async (t) => {
  const store = SqliteStore.open(':memory:');
  store.close();
  const { logger, logs } = capturingLogger('debug');
  await warmIncidentPage(store, logger, Date.now(), new AbortController().signal);
  t.match(logs, [{ msg: /^warming the incident page failed: its first request compiles the page code instead/, err: { message: /not open/ } }]);
  logs.length = 0;
  await warmIncidentPage(store, logger, Date.now(), AbortSignal.abort());
  t.same(logs, [], 'the server closing first: the warm-up stops quietly');
});
