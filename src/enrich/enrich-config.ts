import { z } from 'zod';

/** Which kubeconfig (file and context) reaches an Argo CD destination cluster. */
export const clusterConfigSchema = z.strictObject({
  /** Matches the Application's `spec.destination.server`. */
  server: z.string().min(1).optional(),
  /** Matches the Application's `spec.destination.name`. */
  name: z.string().min(1).optional(),
  /** Path of a kubeconfig file; default: KUBECONFIG or ~/.kube/config. */
  kubeconfig: z.string().min(1).optional(),
  /** Context inside that kubeconfig; default: its current context. */
  context: z.string().min(1).optional(),
});

/** Limits of what enrichment reads from the Kubernetes API (DESIGN.md, "Enrichment bounds"). */
export const enrichBoundsSchema = z.strictObject({
  maxPodsPerHook: z.number().int().min(1).max(50).default(5),
  tailLines: z.number().int().min(1).max(10_000).default(200),
  maxLogBytesPerContainer: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  callTimeoutMs: z.number().int().min(100).max(120_000).default(5_000),
  deadlineMs: z.number().int().min(500).max(300_000).default(15_000),
  concurrency: z.number().int().min(1).max(32).default(4),
});

export const kubernetesConfigSchema = z.strictObject({
  /** auto: enrich when a kubeconfig or in-cluster config exists, else warn and send alerts without it. */
  enabled: z.enum(['auto', 'true', 'false']).default('auto'),
  clusters: z.array(clusterConfigSchema).default([]),
  bounds: enrichBoundsSchema.prefault({}),
});

export const scrubConfigSchema = z.strictObject({
  /** Extra regular expressions (JavaScript syntax) whose matches are replaced by [REDACTED]. */
  patterns: z.array(z.string().min(1)).default([]),
});

export type KubernetesConfig = z.infer<typeof kubernetesConfigSchema>;
export type ScrubConfig = z.infer<typeof scrubConfigSchema>;
