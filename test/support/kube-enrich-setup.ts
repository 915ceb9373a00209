import type { Test } from 'tap';
import { KubeApiServer } from './kube-api-server.js';
import { ClusterRegistry } from '../../src/enrich/cluster-registry.js';
import type { SqliteCaptureStore } from '../../src/store/capture-store.js';
import { kubernetesConfigSchema, type KubernetesConfig } from '../../src/enrich/enrich-config.js';
import { KubeEnricher } from '../../src/enrich/kube-enricher.js';
import { createScrubber } from '../../src/scrub/scrub.js';
import { hookEventSchema, type HookEvent, type HookRef } from '../../src/model/hook-event.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

/** Everything an enrichment test needs, wired to a KubeApiServer through a generated kubeconfig. */
export interface KubeEnrichSetup {
  kube: KubeApiServer;
  kubeconfig: string;
  config: KubernetesConfig;
  registry: ClusterRegistry;
  store: SqliteStore;
  captures: SqliteCaptureStore;
  metrics: Metrics;
  enricher: KubeEnricher;
  /** hook_alerts_enrich_partial_total by `what`. */
  partials: () => Promise<Record<string, number>>;
}

/**
 * Start a KubeApiServer and an enricher for it. The call timeout and the deadline only bound a hang
 * unless a test sets the one it is about: an enrichment makes a dozen calls, slow on a loaded machine.
 */
export async function kubeEnrichSetup(t: Test, opts: { kubernetes?: Record<string, unknown> } = {}): Promise<KubeEnrichSetup> {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const dir = t.testdir();
  const kubeconfig = kube.writeKubeconfig(dir);
  const config = kubernetesConfigSchema.parse({
    enabled: 'true',
    ...opts.kubernetes,
    bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000, ...(opts.kubernetes?.bounds as object | undefined) },
  });
  const { registry } = ClusterRegistry.fromConfig(config, { KUBECONFIG: kubeconfig, HOME: dir });
  if (registry === null) throw new Error('the test kubeconfig did not load');
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  const captures = store.captureStore({ ttlMs: config.capture.ttlHours * 3_600_000, maxTotalBytes: config.capture.maxTotalBytes });
  const metrics = new Metrics({ defaultMetrics: false });
  const enricher = new KubeEnricher({
    registry,
    bounds: config.bounds,
    scrub: createScrubber(),
    captures,
    captureEnabled: config.capture.enabled,
    metrics,
  });
  const partials = async (): Promise<Record<string, number>> => {
    const metric = await metrics.enrichPartial.get();
    return Object.fromEntries(metric.values.map((v) => [String(v.labels.what), v.value]));
  };
  return { kube, kubeconfig, config, registry, store, captures, metrics, enricher, partials };
}

/** A hook-failed event for one hook of app payments-api deployed in-cluster. */
export function hookFailedEvent(hook: Partial<HookRef> = {}, over: Partial<HookEvent> = {}): HookEvent {
  return hookEventSchema.parse({
    kind: 'hook-failed',
    recipient: 'team-payments',
    argocdUrl: 'https://argocd.example.com',
    app: { name: 'payments-api', namespace: 'argocd', uid: null, project: 'payments', labels: {}, annotations: {} },
    destination: { server: 'https://kubernetes.default.svc', name: null, namespace: 'payments' },
    sources: [],
    revisions: ['9b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d'],
    operation: {
      phase: 'Failed',
      message: 'one or more synchronization tasks completed unsuccessfully',
      startedAt: '2026-11-20T14:02:05Z',
      finishedAt: '2026-11-20T14:07:11Z',
      retryCount: 0,
      retryLimit: null,
      initiatedBy: { username: null, automated: true },
    },
    hooks: [
      {
        kind: 'Job',
        group: 'batch',
        namespace: 'payments',
        name: 'db-migrate',
        hookType: 'PreSync',
        hookPhase: 'Failed',
        syncPhase: 'PreSync',
        message: 'Job has reached the specified backoff limit',
        images: [],
        ...hook,
      },
    ],
    health: 'Healthy',
    syncStatus: 'OutOfSync',
    receivedAt: '2026-11-20T14:07:12Z',
    ...over,
  });
}
