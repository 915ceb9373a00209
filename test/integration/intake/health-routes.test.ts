/**
 * /healthz is the liveness probe: its detail is reported, and a pipeline that is not alive (its thread
 * stuck or gone, which only a restart mends) answers 503 so that the kubelet restarts the pod.
 */
import t from 'tap';
import { loadConfig } from '../../../src/config/load-config.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { Metrics } from '../../../src/metrics.js';
import { buildApp } from '../../../src/intake/build-app.js';
import { createLogger } from '../../../src/logger.js';

function appWithHealth(alive: boolean): ReturnType<typeof buildApp> {
  const config = loadConfig({ env: { HOOK_ALERTS_TOKEN: 'health-routes-token-0123456789', HOOK_ALERTS_DATA_DIR: ':memory:' } });
  return buildApp({
    config,
    store: SqliteStore.open(':memory:'),
    metrics: new Metrics({ defaultMetrics: false }),
    logger: createLogger('silent'),
    health: () => Promise.resolve({ alive, detail: { worker: alive ? { running: true } : 'the pipeline thread did not answer within 2000 ms' } }),
  });
}

t.test('alive: 200 with the detail', async (t) => {
  const app = appWithHealth(true);
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 200);
  t.same(res.json(), { status: 'ok', worker: { running: true } });
});

t.test('not alive: 503 with the reason, and readiness is not affected', async (t) => {
  const app = appWithHealth(false);
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(res.statusCode, 503);
  t.same(res.json(), { status: 'not alive', worker: 'the pipeline thread did not answer within 2000 ms' });
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'webhooks are still accepted until the restart');
});
