import type { Logger } from 'pino';
import type { HookType } from '../model/hook-type.js';
import { eventDedupeKey, type HookEvent } from '../model/hook-event.js';
import type { Metrics } from '../metrics.js';
import type { AlertStore, CaptureRepository } from '../store/alert-store.js';
import { CaptureWatcher } from './capture-watcher.js';
import { ClusterRegistry, IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from './cluster-registry.js';
import type { KubeClient } from '../kube/kube-client.js';
import { KubeEnricher } from './kube-enricher.js';
import { ArgoCdClusterSecrets } from './argocd-cluster-secrets.js';
import { createScrubber } from '../scrub/scrub.js';
import { StuckHookWatcher } from './stuck-hook-watcher.js';
import { ApplicationBackstop, type ApplicationBackstopDeps } from './application-backstop.js';
import { FailedWhileRunningWatcher } from './failed-while-running-watcher.js';
import { BlockedHookWatcher } from './blocked-hook-watcher.js';
import { acceptRaisedEvent, type RaisedEventIntake } from './raised-event.js';
import type { KubernetesConfig, LeaderElectionConfig, ScrubConfig } from './enrich-config.js';
import { LeaseElection, type LeaderWork } from '../kube/lease-election.js';
import { serviceAccountNamespace } from '../kube/kubeconfig-in-cluster.js';
import { configSettingError } from '../errors.js';
import { KUBE_FAILURE_KINDS } from '../kube/kube-failure.js';
import { hostname } from 'node:os';

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
 * configured cluster that cannot be loaded. `onEventAccepted` wakes the worker after a new event a watcher or the backstop raised.
 */
export function createEnrichment(
  config: EnrichmentSettings,
  deps: {
    store: AlertStore;
    logger: Logger;
    metrics: Metrics;
    onEventAccepted: () => void;
    env?: NodeJS.ProcessEnv;
    /** Replicas share the store (PostgreSQL): the watchers run on the one that holds their Lease. */
    sharedStore?: boolean;
    /** How the Application backstop reads an Application (intake's normalization), when `kubernetes.backstop.enabled`. */
    backstopEventsOf?: ApplicationBackstopDeps['eventsOf'];
  },
): Enrichment | null {
  const k = config.kubernetes;
  const observe = (client: KubeClient): void => {
    client.observeFailures((failure) => deps.metrics.kubeApiErrors.inc({ cluster: client.clusterId, kind: failure.kind }));
    // From 0, so that increase() sees the first failure after a start.
    for (const kind of KUBE_FAILURE_KINDS) deps.metrics.kubeApiErrors.inc({ cluster: client.clusterId, kind }, 0);
  };
  const { registry, warning } = ClusterRegistry.fromConfig(k, deps.env, {
    argoCdClusters: (home) =>
      new ArgoCdClusterSecrets({
        home,
        config: k.argocdClusterSecrets,
        callTimeoutMs: k.bounds.callTimeoutMs,
        connect: { processEnv: deps.env ?? process.env },
        logger: deps.logger.child({ component: 'argocd-clusters' }),
        onClient: observe,
      }),
  });
  if (warning !== null) deps.logger.warn(warning);
  if (registry === null) return null;
  const argocdCluster = k.backstop.enabled ? registry.home() : null;
  if (k.backstop.enabled && argocdCluster === null) {
    throw configSettingError(
      'kubernetes.backstop.enabled',
      'the backstop watches the Applications of the cluster the service runs in, and there is none (no in-cluster config, no KUBECONFIG): run in Argo CD\'s cluster, set KUBECONFIG, or set it to false',
    );
  }
  const scrub = createScrubber(config.scrub.patterns);
  const captures = deps.store.captureStore({ ttlMs: k.capture.ttlHours * HOUR_MS, maxTotalBytes: k.capture.maxTotalBytes });
  const enricher = new KubeEnricher({ registry, bounds: k.bounds, scrub, captures, captureEnabled: k.capture.enabled, metrics: deps.metrics });

  // Fresh watchers each time this replica starts them: after losing the watchers Lease and winning it
  // back, nothing of the previous term is reused.
  const newWatchers = (): LeaderWork => {
    const watchers: CaptureWatcher[] = [];
    let stuck: StuckHookWatcher | null = null;
    const eventsOf = deps.backstopEventsOf;
    // Events the watchers and the backstop raise go through the same intake dedupe and store as Argo CD's.
    const intake: RaisedEventIntake = { accept: (event, dedupeKey, now) => deps.store.acceptEvent(event, dedupeKey, now), onAccepted: deps.onEventAccepted, logger: deps.logger };
    const backstop =
      argocdCluster === null || eventsOf === undefined
        ? null
        : new ApplicationBackstop({
            client: argocdCluster,
            config: k.backstop,
            eventsOf,
            ...intake,
            logger: deps.logger.child({ component: 'backstop', cluster: argocdCluster.clusterId }),
            onWatchState: (namespace, up) => deps.metrics.backstopWatchUp.set({ cluster: argocdCluster.clusterId, watched_namespace: namespace }, up ? 1 : 0),
            onOutcome: (outcome) => deps.metrics.backstopEvents.inc({ outcome }),
          });
    const raise = (what: string) => (event: HookEvent) => {
      acceptRaisedEvent(intake, event, eventDedupeKey(event), Date.now(), `${what} event raised`).catch((err: unknown) => {
        deps.logger.error({ err }, `could not store a ${what} event; it is raised again only if another replica or a restart sees the hook again`);
      });
    };
    if (k.stuck.enabled) {
      stuck = new StuckHookWatcher({
        config: k.stuck,
        hookTypes: config.hooks.types,
        destinationOf,
        logger: deps.logger.child({ component: 'stuck-hooks' }),
        capture: (client, pod) => watchers.find((w) => w.client === client)?.capture(pod, 'stuck'),
        onStuck: raise('hook-stuck'),
      });
    }
    const blocked = k.blocked.enabled
      ? new BlockedHookWatcher({
          config: k.blocked,
          hookTypes: config.hooks.types,
          appNamespace: k.stuck.appNamespace,
          destinationOf,
          logger: deps.logger.child({ component: 'blocked-hooks' }),
          onBlocked: raise('hook-blocked'),
        })
      : null;
    const failedWhileRunning = k.failedWhileRunning.enabled
      ? new FailedWhileRunningWatcher({
          config: k.failedWhileRunning,
          hookTypes: config.hooks.types,
          appNamespace: k.stuck.appNamespace,
          destinationOf,
          logger: deps.logger.child({ component: 'failed-hooks' }),
          onFailed: raise('hook-failed (sync still running)'),
        })
      : null;
    const sightings = [stuck, blocked, failedWhileRunning].filter((w) => w !== null);
    if (k.capture.enabled || sightings.length > 0) {
      for (const client of registry.clients()) {
        watchers.push(
          new CaptureWatcher({
            client,
            config: k.capture,
            bounds: k.bounds,
            store: captures,
            scrub,
            logger: deps.logger.child({ component: 'capture', cluster: client.clusterId }),
            onWatchState: (namespace, up) => deps.metrics.captureWatchUp.set({ cluster: client.clusterId, watched_namespace: namespace ?? 'all' }, up ? 1 : 0),
            ...(sightings.length === 0 ? {} : { onJobPod: (s) => sightings.forEach((w) => w.sighting(s)) }),
          }),
        );
      }
    }
    return {
      start: () => {
        for (const w of watchers) w.start();
        for (const w of sightings) w.start();
        backstop?.start();
      },
      stop: async () => {
        await backstop?.stop();
        for (const w of sightings) await w.stop();
        await Promise.all(watchers.map((w) => w.stop()));
        // A replica that no longer watches has no watch to report: the holder of the Lease reports it.
        deps.metrics.captureWatchUp.reset();
        deps.metrics.backstopWatchUp.reset();
      },
    };
  };
  for (const client of registry.clients()) observe(client);
  let running: LeaderWork | null = null;
  const work: LeaderWork = {
    start: () => {
      running = newWatchers();
      running.start();
    },
    stop: async () => {
      const stopping = running;
      running = null;
      await stopping?.stop();
    },
  };
  const election = watchersElection(k.leaderElection, registry, work, { ...deps, sharedStore: deps.sharedStore ?? false });
  return {
    enricher,
    captures,
    registry,
    start: () => {
      // Every replica enriches, so every replica reads Argo CD's clusters, elected or not.
      registry.argoCdClusters()?.start();
      if (election !== null) {
        election.start();
        return;
      }
      deps.metrics.watchersLeader.set(1);
      work.start();
    },
    stop: async () => {
      await (election === null ? work.stop() : election.stop());
      registry.argoCdClusters()?.stop();
    },
  };
}

/**
 * The Lease election of the watchers, or null when this replica runs them unelected: one replica on
 * SQLite, or `leaderElection.enabled: false`. Throws a config error when an election is needed and cannot run.
 */
function watchersElection(
  c: LeaderElectionConfig,
  registry: ClusterRegistry,
  work: LeaderWork,
  deps: { sharedStore: boolean; logger: Logger; metrics: Metrics; env?: NodeJS.ProcessEnv },
): LeaseElection | null {
  if (c.enabled === 'false' || (c.enabled === 'auto' && !deps.sharedStore)) return null;
  const env = deps.env ?? process.env;
  const home = registry.home();
  if (home === null) {
    throw configSettingError(
      'kubernetes.leaderElection',
      'the watchers Lease lives in the cluster the service runs in, and there is none (no in-cluster config, no KUBECONFIG): run in a pod, set KUBECONFIG, or set enabled: false and run one replica',
    );
  }
  const namespace = c.namespace ?? env.POD_NAMESPACE ?? serviceAccountNamespace();
  if (namespace === null) {
    throw configSettingError('kubernetes.leaderElection.namespace', 'not set, and neither POD_NAMESPACE nor the service account namespace file says where the service runs: set it');
  }
  return new LeaseElection({
    client: home,
    settings: {
      namespace,
      name: c.leaseName,
      // The pod name is unique and tells the operator which replica holds it; outside a pod, host and pid.
      identity: env.POD_NAME ?? `${hostname()}-${process.pid}`,
      leaseDurationMs: c.leaseDurationSeconds * 1000,
      renewDeadlineMs: c.renewDeadlineSeconds * 1000,
      retryPeriodMs: c.retryPeriodSeconds * 1000,
    },
    work,
    logger: deps.logger.child({ component: 'leader-election' }),
    onLeading: (leading) => deps.metrics.watchersLeader.set(leading ? 1 : 0),
  });
}
