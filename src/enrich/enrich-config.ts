import { z } from 'zod';
import { checkScrubPattern } from '../scrub/scrub.js';

/** Which kubeconfig (file and context) reaches an Argo CD destination cluster. */
const clusterConfigSchema = z
  .strictObject({
    /** Matches the Application's `spec.destination.server`. */
    server: z.string().min(1).optional(),
    /** Matches the Application's `spec.destination.name`. */
    name: z.string().min(1).optional(),
    /** Path of a kubeconfig file; default: KUBECONFIG or ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    /** Context inside that kubeconfig; default: its current context. */
    context: z.string().min(1).optional(),
  })
  .refine((c) => c.server !== undefined || c.name !== undefined, {
    message: 'a cluster needs `server` (the destination server URL) or `name` (the destination name) to be matched',
  });

/**
 * Destinations from Argo CD's own cluster Secrets (docs/argocd-clusters.md): read in the cluster the service
 * runs in, so that a destination is enriched with the credentials Argo CD uses, not a copy of them.
 */
const argocdClusterSecretsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Argo CD's namespace, where its cluster Secrets are. */
  namespace: z.string().min(1).default('argocd'),
  /**
   * The cluster Secrets to read by name (`get`, which RBAC can limit with resourceNames); empty: list every
   * Secret labelled argocd.argoproj.io/secret-type=cluster (`list`, which RBAC cannot limit to them).
   */
  names: z.array(z.string().min(1)).default([]),
  /** How often the Secrets are read again (a changed or new one is used from then on); a destination not found also reads them, at most every 5 s. */
  resyncSeconds: z.number().int().min(5).max(3600).default(60),
});

/** Limits of what enrichment reads from the Kubernetes API (docs/design.md, "Enrichment bounds"). */
export const enrichBoundsSchema = z.strictObject({
  maxPodsPerHook: z.number().int().min(1).max(50).default(5),
  tailLines: z.number().int().min(1).max(10_000).default(200),
  maxLogBytesPerContainer: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  callTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  deadlineMs: z.number().int().min(500).max(300_000).default(15_000),
  /**
   * API calls at once for one event. The second wave reads a log and the events of each pod shown: 8 lets
   * the usual 1-4 pods go in one round trip (at 4, three pods took three waves: +50 ms per wave).
   */
  concurrency: z.number().int().min(1).max(32).default(8),
  /** Events enriched at once per cluster; others wait their turn, and events of other clusters do not. */
  eventsPerCluster: z.number().int().min(1).max(16).default(4),
  /** Events kept per hook (Job and pods together), warnings first. */
  maxEventsPerHook: z.number().int().min(1).max(500).default(20),
  /**
   * Hooks of one event read from the cluster; the others are listed by name. One sync once listed 14,000
   * failed hooks: 10,181 API requests and a 5.2 MB email.
   */
  maxHooksPerEvent: z.number().int().min(1).max(20).default(10),
});

/** Snapshots of hook pods taken before Argo CD deletes them (docs/design.md, "Terminated hooks lose their logs too"). */
const captureConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** Namespaces to watch; empty: every namespace (needs the ClusterRole; the Role variant lists them here). */
  namespaces: z.array(z.string().min(1)).default([]),
  /**
   * Pods to watch: the Job controller's label. Kubernetes 1.27+ sets it; older clusters only set `job-name`,
   * so set this to `job-name` there.
   */
  podLabelSelector: z.string().min(1).default('batch.kubernetes.io/job-name'),
  ttlHours: z.number().min(1).max(24 * 30).default(24),
  /** All snapshots together; the oldest are dropped beyond it. */
  maxTotalBytes: z.number().int().min(1024 * 1024).max(10 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  /** Snapshots taken at once per cluster. */
  concurrency: z.number().int().min(1).max(16).default(2),
});

/** A hook Job that runs too long raises a `hook-stuck` event (argo-cd#4979, #15593). */
const stuckConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * A hook Job running longer than this is stuck. Jobs are looked up only once a pod has run this long, so
   * an activeDeadlineSeconds below it does not make the alert come sooner.
   */
  thresholdMinutes: z.number().min(1).max(24 * 60).default(15),
  /** Where the Applications live when the Job's tracking id does not say (apps in any namespace say it). */
  appNamespace: z.string().min(1).default('argocd'),
  checkIntervalMs: z.number().int().min(1_000).max(3_600_000).default(30_000),
});

/**
 * The Application backstop (docs/design.md, "The Application backstop"): watch Argo CD's Applications in the
 * cluster the service runs in and raise a hook failure that Argo CD's webhook did not deliver. Off by default:
 * it needs list and watch on applications.argoproj.io (deploy/components/argocd-backstop).
 */
const backstopConfigSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Where the Applications live (Argo CD's namespace, and those of "apps in any namespace"). */
  namespaces: z.array(z.string().min(1)).min(1).default(['argocd']),
  /** The webhook service name given to `generate argocd --service-name`: its subscriptions name the recipients. */
  serviceName: z.string().min(1).default('hook-alerts'),
  /** The recipient of an Application that no annotation subscribes (a ConfigMap subscription): as its webhook would send it. */
  defaultRecipient: z.string().min(1).nullable().default(null),
  /** Argo CD's URL, for the links of an alert the watch raised (the webhook sends its own). */
  argocdUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
  /**
   * A failed operation that ended longer ago than this is not raised: on a first start, or after the
   * retention sweep, old failures still shown by Applications would otherwise alert again.
   */
  maxAgeHours: z.number().min(0.1).max(24 * 30).default(24),
});

/**
 * A hook pod that cannot start (image pull, missing Secret or key, container creation, unschedulable) raises
 * a `hook-blocked` event once it has been so for `afterSeconds`, rather than waiting for the stuck threshold.
 */
const blockedConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How long a hook pod must stay blocked: a pull that succeeds on the kubelet's retry is not an alert. */
  afterSeconds: z.number().min(0).max(3_600).default(60),
  /** How often blocked pods are checked against `afterSeconds` (housekeeping: one Job read per blocked pod due). */
  checkIntervalMs: z.number().int().min(100).max(600_000).default(10_000),
});

/**
 * A hook Job that failed while other hooks of its app still run: Argo CD keeps the operation Running until
 * they end and notifies only then, so the service raises "hook failed, sync still running" itself.
 */
const failedWhileRunningConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** How often failed hook pods are checked (one Job read per failed pod, then one per other running Job of the namespace). */
  checkIntervalMs: z.number().int().min(100).max(600_000).default(10_000),
});

/**
 * With several replicas on one PostgreSQL store, one of them runs the capture and stuck-hook watchers,
 * elected through a coordination.k8s.io/v1 Lease in the cluster the service runs in (docs/ha.md). The
 * timings are client-go's defaults for controllers.
 */
const leaderElectionConfigSchema = z
  .strictObject({
    /** auto: elect when the store is PostgreSQL (replicas may run side by side); true: always; false: every replica watches. */
    enabled: z.enum(['auto', 'true', 'false']).default('auto'),
    /** Where the Lease lives; default: the service's own namespace (POD_NAMESPACE, else the service account's). */
    namespace: z.string().min(1).optional(),
    leaseName: z.string().min(1).max(253).default('argocd-hook-alerts-watchers'),
    /** A dead leader's watchers are taken over after at most this long. */
    leaseDurationSeconds: z.number().min(1).max(300).default(15),
    renewDeadlineSeconds: z.number().min(0.1).max(300).default(10),
    retryPeriodSeconds: z.number().min(0.05).max(60).default(2),
  })
  .refine((c) => c.renewDeadlineSeconds < c.leaseDurationSeconds && c.retryPeriodSeconds < c.renewDeadlineSeconds, {
    message: 'needs retryPeriodSeconds < renewDeadlineSeconds < leaseDurationSeconds: a leader must give up before its Lease can be taken over',
  });

export type LeaderElectionConfig = z.infer<typeof leaderElectionConfigSchema>;

export const kubernetesConfigSchema = z.strictObject({
  /** auto: enrich when a kubeconfig or in-cluster config exists, else warn and send alerts without it. */
  enabled: z.enum(['auto', 'true', 'false']).default('auto'),
  clusters: z.array(clusterConfigSchema).default([]),
  argocdClusterSecrets: argocdClusterSecretsSchema.prefault({}),
  bounds: enrichBoundsSchema.prefault({}),
  capture: captureConfigSchema.prefault({}),
  stuck: stuckConfigSchema.prefault({}),
  blocked: blockedConfigSchema.prefault({}),
  failedWhileRunning: failedWhileRunningConfigSchema.prefault({}),
  leaderElection: leaderElectionConfigSchema.prefault({}),
  backstop: backstopConfigSchema.prefault({}),
});

export const scrubConfigSchema = z.strictObject({
  /**
   * Extra regular expressions (JavaScript syntax, compiled with the `g` flag) whose matches are replaced by
   * [REDACTED]. Checked at start-up: invalid syntax, a pattern that matches the empty string or one with a
   * nested quantifier (exponential backtracking) is a config error.
   */
  patterns: z
    .array(
      z.string().min(1).superRefine((pattern, ctx) => {
        const problem = checkScrubPattern(pattern);
        if (problem !== null) ctx.addIssue({ code: 'custom', message: problem, input: pattern });
      }),
    )
    .default([]),
});

export type EnrichBounds = z.infer<typeof enrichBoundsSchema>;
export type CaptureConfig = z.infer<typeof captureConfigSchema>;
export type StuckConfig = z.infer<typeof stuckConfigSchema>;
export type BackstopConfig = z.infer<typeof backstopConfigSchema>;
export type BlockedConfig = z.infer<typeof blockedConfigSchema>;
export type FailedWhileRunningConfig = z.infer<typeof failedWhileRunningConfigSchema>;
export type KubernetesConfig = z.infer<typeof kubernetesConfigSchema>;
export type ArgoCdClusterSecretsConfig = z.infer<typeof argocdClusterSecretsSchema>;
export type ScrubConfig = z.infer<typeof scrubConfigSchema>;
