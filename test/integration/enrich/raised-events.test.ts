/**
 * The events the watchers raise themselves go through intake's dedupe: a hook raised again (after a
 * restart, or by another replica on a shared store) is a duplicate, and a duplicate has nothing new for the
 * worker, so it does not wake it. Enrichment runs on the Kubernetes API test server and a real SQLite store;
 * the worker's wake-up is `onEventAccepted`, the hook the composition root gives createEnrichment.
 */
import t from 'tap';
import { pino } from 'pino';
import { hookJob, jobPod, states } from '../../support/kube-fixtures.js';
import { KubeApiServer } from '../../support/kube-api-server.js';
import { waitUntil } from '../../support/service-http.js';
import { createEnrichment } from '../../../src/enrich/enrichment.js';
import { kubernetesConfigSchema, scrubConfigSchema } from '../../../src/enrich/enrich-config.js';
import { Metrics } from '../../../src/metrics.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';

t.test('a blocked hook raised again after a restart is stored once and wakes the worker once', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir();
  const env = { KUBECONFIG: kube.writeKubeconfig(dir), HOME: dir };
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const job = kube.putJob(hookJob({ name: 'db-migrate', app: 'payments-api', startTime: now, active: 1 }));
  kube.putPod(
    jobPod(job, {
      name: 'db-migrate-k2x9p',
      phase: 'Pending',
      createdAt: now,
      statuses: [{ name: 'migrate', state: states.waiting('CreateContainerConfigError', 'secret "payments-db" not found') }],
    }),
  );
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  let wakes = 0;

  // One run of the watchers, as one start of the service: until it has raised the blocked hook.
  const runUntilRaised = async (): Promise<void> => {
    const lines: { hook?: string; msg?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as { hook?: string; msg?: string }) });
    const enrichment = createEnrichment(
      {
        kubernetes: kubernetesConfigSchema.parse({ enabled: 'true', stuck: { thresholdMinutes: 60 }, blocked: { afterSeconds: 0, checkIntervalMs: 100 } }),
        scrub: scrubConfigSchema.parse({}),
        hooks: { types: ['PreSync'] },
      },
      { store, logger, metrics: new Metrics({ defaultMetrics: false }), onEventAccepted: () => (wakes += 1), env },
    );
    if (enrichment === null) throw new Error('enrichment did not start');
    enrichment.start();
    try {
      await waitUntil('the blocked hook is raised', () => lines.some((l) => l.hook === 'db-migrate' && (l.msg ?? '').startsWith('hook-blocked event raised')));
    } finally {
      await enrichment.stop();
    }
  };

  await runUntilRaised();
  t.equal(wakes, 1, 'the new event wakes the worker');
  await runUntilRaised();
  t.equal(wakes, 1, 'the same hook raised again is a duplicate: the worker is not woken for it');
  t.same(store.queueDepth(), { events: 1, deliveries: 0 }, 'one event stored for the hook');
});
