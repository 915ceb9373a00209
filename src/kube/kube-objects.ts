import { z } from 'zod';

/**
 * The parts of Kubernetes objects that enrichment reads, as zod schemas. Objects arrive as the API
 * server's JSON (get, list and watch answers) and as captured snapshots read back from the store. Parsing both through these schemas gives one shape, keeps only what is used
 * (snapshots stay small) and tolerates fields a cluster version omits.
 */

const str = z.string().nullish().transform((v) => v ?? null);
const int = z.number().int().nullish().transform((v) => v ?? null);
// RFC 3339 strings as the API server writes them; kept as text (they are shown, and compared as ISO strings).
const time = str;
const stringMap = z
  .record(z.string(), z.string())
  .nullish()
  .transform((v) => v ?? {});

const objectMetaSchema = z.object({
  name: z.string(),
  namespace: str,
  uid: str,
  resourceVersion: str,
  creationTimestamp: time,
  deletionTimestamp: time,
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: z
    .array(z.object({ kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().nullish() }))
    .nullish()
    .transform((v) => v ?? []),
});

const containerSpecSchema = z.object({
  name: z.string(),
  image: str,
  resources: z
    .object({ limits: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).nullish() })
    .nullish(),
});

const podSpecSchema = z.object({
  containers: z.array(containerSpecSchema).nullish().transform((v) => v ?? []),
  initContainers: z.array(containerSpecSchema).nullish().transform((v) => v ?? []),
  nodeName: str,
  restartPolicy: str,
});

const stateDetailSchema = z
  .object({
    waiting: z.object({ reason: str, message: str }).nullish(),
    running: z.object({ startedAt: time }).nullish(),
    terminated: z
      .object({ exitCode: z.number().int(), signal: int, reason: str, message: str, startedAt: time, finishedAt: time })
      .nullish(),
  })
  .nullish();

const containerStatusSchema = z.object({
  name: z.string(),
  image: str,
  restartCount: z.number().int().nullish().transform((v) => v ?? 0),
  state: stateDetailSchema,
  lastState: stateDetailSchema,
});

export const podSchema = z.object({
  metadata: objectMetaSchema,
  spec: podSpecSchema.nullish(),
  status: z
    .object({
      phase: str,
      reason: str,
      message: str,
      startTime: time,
      conditions: z
        .array(z.object({ type: z.string(), status: z.string(), reason: str, message: str }))
        .nullish()
        .transform((v) => v ?? []),
      containerStatuses: z.array(containerStatusSchema).nullish().transform((v) => v ?? []),
      initContainerStatuses: z.array(containerStatusSchema).nullish().transform((v) => v ?? []),
    })
    .nullish(),
});

export const jobSchema = z.object({
  metadata: objectMetaSchema,
  spec: z
    .object({
      backoffLimit: int,
      activeDeadlineSeconds: int,
      ttlSecondsAfterFinished: int,
      template: z.object({ spec: podSpecSchema.nullish() }).nullish(),
    })
    .nullish(),
  status: z
    .object({
      conditions: z
        .array(
          z.object({ type: z.string(), status: z.string(), reason: str, message: str, lastTransitionTime: time }),
        )
        .nullish()
        .transform((v) => v ?? []),
      active: int,
      succeeded: int,
      failed: int,
      startTime: time,
      completionTime: time,
    })
    .nullish(),
});

export const eventSchema = z.object({
  metadata: objectMetaSchema,
  involvedObject: z.object({ kind: str, name: str, namespace: str, uid: str }),
  reason: str,
  message: str,
  type: str,
  count: int,
  firstTimestamp: time,
  lastTimestamp: time,
  eventTime: time,
  series: z.object({ count: int, lastObservedTime: time }).nullish(),
});

/** The `Status` object of an API error or a watch ERROR event. */
export const statusSchema = z.object({
  kind: z.literal('Status'),
  status: str,
  message: str,
  reason: str,
  code: int,
  details: z.object({ name: str, group: str, kind: str }).nullish(),
});

/**
 * An Argo CD Application (argoproj.io/v1alpha1), as the backstop reads it: its metadata, and spec and status
 * left as they came (they are read through the webhook contract's own schema, not twice).
 */
export const applicationSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.unknown().optional(),
  status: z.unknown().optional(),
});

export type KubePod = z.infer<typeof podSchema>;
export type KubeApplication = z.infer<typeof applicationSchema>;
export type KubeJob = z.infer<typeof jobSchema>;
export type KubeEvent = z.infer<typeof eventSchema>;
export type KubeContainerStatus = z.infer<typeof containerStatusSchema>;

/** Annotation that makes a resource an Argo CD hook, and its delete policy. */
export const HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
export const HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
/** Labels the Job controller puts on its pods: the current one (Kubernetes 1.27+) and the legacy one. */
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** A coordination.k8s.io/v1 Lease: who holds it and until when (leader election). */
export const leaseSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: str, resourceVersion: str }),
  spec: z
    .object({
      holderIdentity: str,
      leaseDurationSeconds: int,
      // MicroTime: RFC 3339 with microseconds.
      acquireTime: time,
      renewTime: time,
      leaseTransitions: int,
    })
    .nullish()
    .transform((v) => v ?? { holderIdentity: null, leaseDurationSeconds: null, acquireTime: null, renewTime: null, leaseTransitions: null }),
});

export type KubeLease = z.infer<typeof leaseSchema>;

/** A Secret (v1): its `data` values are base64, as the API server sends them; decoding is the reader's. */
export const secretSchema = z.object({
  metadata: objectMetaSchema,
  data: stringMap,
});
export type KubeSecret = z.infer<typeof secretSchema>;
