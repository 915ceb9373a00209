import type { Logger } from 'pino';
import type { HookType } from '../model/hook-type.js';
import { eventDedupeKey, type HookEvent } from '../model/hook-event.js';
import type { Metrics } from '../metrics.js';
import type { AlertStore, CaptureRepository } from '../store/alert-store.js';
import { CaptureWatcher } from './capture-watcher.js';
import { ClusterRegistry, IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from './cluster-registry.js';
import type { KubeClient } from '../kube/kube-client.js';
import { KubeEnricher } from './kube-enricher.js';
import { createScrubber } from '../scrub/scrub.js';
import { StuckHookWatcher } from './stuck-hook-watcher.js';
import type { KubernetesConfig, ScrubConfig } from './enrich-config.js';

const HOUR_MS = 3_600_000;

/** Enrichment as the service runs it: the enricher for the worker, and the watchers to start and stop. */
export interface Enrichment {
  enricher: KubeEnricher;
  captures: CaptureRepository;
  registry: ClusterRegistry;
  /** Start the capture and stuck-hook watchers of every cluster. */
  start(): void;
  /** Stop them and wait for snapshots in flight. */
  stop(): Promise<void>;
}

/** What enrichment reads of the config: its own sections, and which hook types alert (the stuck-hook watcher raises those). */
export interface EnrichmentSettings {
  kubernetes: KubernetesConfig;
  scrub: ScrubConfig;
  hooks: { types: readonly HookType[] };
}

/** The destination that resolves back to a cluster client (stuck-hook events carry it). */
function destinationOf(client: KubeClient): HookEvent['destination'] {
  if (client.clusterId === IN_CLUSTER_NAME) return { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME, namespace: null };
  return /^https?:\/\//.test(client.clusterId)
    ? { server: client.clusterId, name: null, namespace: null }
    : { server: null, name: client.clusterId, namespace: null };
}

/**
 * Build enrichment from config, or null when it is off (`kubernetes.enabled: false`, or `auto` without any
 * kubeconfig: one warning, and alerts go out without cluster details). Throws a config error for a
 * configured cluster that cannot be loaded. `onEventAccepted` wakes the worker after a hook-stuck event.
 */
export function createEnrichment(
  config: EnrichmentSettings,
  deps: { store: AlertStore; logger: Logger; metrics: Metrics; onEventAccepted: () => void; env?: NodeJS.ProcessEnv },
): Enrichment | null {
  const k = config.kubernetes;
  const { registry, warning } = ClusterRegistry.fromConfig(k, deps.env);
  if (warning !== null) deps.logger.warn(warning);
  if (registry === null) return null;
  const scrub = createScrubber(config.scrub.patterns);
  const captures = deps.store.captureStore({ ttlMs: k.capture.ttlHours * HOUR_MS, maxTotalBytes: k.capture.maxTotalBytes });
  const enricher = new KubeEnricher({ registry, bounds: k.bounds, scrub, captures, captureEnabled: k.capture.enabled, metrics: deps.metrics });

  const watchers: CaptureWatcher[] = [];
  let stuck: StuckHookWatcher | null = null;
  if (k.stuck.enabled) {
    stuck = new StuckHookWatcher({
      config: k.stuck,
      hookTypes: config.hooks.types,
      destinationOf,
      logger: deps.logger.child({ component: 'stuck-hooks' }),
      capture: (client, pod) => watchers.find((w) => w.client === client)?.capture(pod, 'stuck'),
      onStuck: (event) => {
        void (async () => {
          const result = await deps.store.acceptEvent(event, eventDedupeKey(event), Date.now());
          deps.logger.warn({ app: `${event.app.namespace}/${event.app.name}`, hook: event.hooks[0]?.name, result }, 'hook-stuck event raised');
          deps.onEventAccepted();
        })().catch((err: unknown) => {
          deps.logger.error({ err }, 'could not store a hook-stuck event; it is raised again on the next check of another Job only');
        });
      },
    });
  }
  if (k.capture.enabled || stuck !== null) {
    for (const client of registry.clients()) {
      watchers.push(
        new CaptureWatcher({
          client,
          config: k.capture,
          bounds: k.bounds,
          store: captures,
          scrub,
          logger: deps.logger.child({ component: 'capture', cluster: client.clusterId }),
          ...(stuck === null ? {} : { onHookJob: (s) => stuck.sighting(s) }),
        }),
      );
    }
  }
  return {
    enricher,
    captures,
    registry,
    start: () => {
      for (const w of watchers) w.start();
      stuck?.start();
    },
    stop: async () => {
      await stuck?.stop();
      await Promise.all(watchers.map((w) => w.stop()));
    },
  };
}
