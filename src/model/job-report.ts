import { z } from 'zod';
import { hookRefSchema } from './hook-event.js';

const nullableString = z.string().nullable();
const nullableInt = z.number().int().nullable();

/** A container's log tail as read (live or captured), already scrubbed and bounded. */
const logTailSchema = z.object({
  text: z.string(),
  /** The tail was cut by tailLines or the byte cap. */
  truncated: z.boolean(),
  bytes: z.number().int(),
  lines: z.number().int(),
  /** Read with previous=true: the log of the container's last terminated run. */
  previous: z.boolean(),
});

const containerStateSchema = z.object({
  state: z.enum(['waiting', 'running', 'terminated', 'unknown']),
  exitCode: nullableInt,
  signal: nullableInt,
  /** OOMKilled, Error, Completed, DeadlineExceeded, ImagePullBackOff, CreateContainerConfigError, ... */
  reason: nullableString,
  message: nullableString,
  startedAt: nullableString,
  finishedAt: nullableString,
});

const containerReportSchema = z.object({
  name: z.string(),
  init: z.boolean(),
  image: nullableString,
  restartCount: z.number().int(),
  current: containerStateSchema,
  /** The previous run's termination when the container restarted. */
  lastTermination: containerStateSchema.nullable(),
  limits: z.object({ memory: nullableString, cpu: nullableString }),
  log: logTailSchema.nullable(),
  /** Why there is no log, said precisely (pods deleted by HookFailed, RBAC, image never pulled, ...). */
  logUnavailable: nullableString,
});

export const podReportSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  uid: nullableString,
  phase: nullableString,
  reason: nullableString,
  message: nullableString,
  nodeName: nullableString,
  createdAt: nullableString,
  startedAt: nullableString,
  deletedAt: nullableString,
  /** PodScheduled=False reason/message when the pod never got a node. */
  unschedulable: nullableString,
  containers: z.array(containerReportSchema),
  /**
   * Set when this pod comes from a capture (the live pod is gone: deleted by Argo CD's delete policy or by
   * its recreation of the Job on retry). Optional so that reports stored before it existed still parse.
   */
  capturedAt: nullableString.optional(),
});

export const eventReportSchema = z.object({
  type: z.string(),
  reason: nullableString,
  message: nullableString,
  /** "Job/db-migrate", "Pod/db-migrate-x7k2p". */
  object: z.string(),
  count: z.number().int(),
  firstTimestamp: nullableString,
  lastTimestamp: nullableString,
});

const jobConditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: nullableString,
  message: nullableString,
  lastTransitionTime: nullableString,
});

export const jobInfoSchema = z.object({
  name: z.string(),
  namespace: z.string(),
  uid: nullableString,
  conditions: z.array(jobConditionSchema),
  backoffLimit: nullableInt,
  activeDeadlineSeconds: nullableInt,
  ttlSecondsAfterFinished: nullableInt,
  active: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  startTime: nullableString,
  completionTime: nullableString,
  durationSeconds: z.number().nullable(),
  images: z.array(z.string()),
  /** The delete policies the Job names (argocd.argoproj.io/hook-delete-policy and Helm's, in Argo CD's names), comma-separated. */
  deletePolicy: nullableString,
  /** metadata.creationTimestamp: older than the operation's startedAt means this sync did not run it. Reports stored before it have none. */
  createdAt: nullableString.default(null),
});

/** Everything known about one failed hook: the JobReport of the design. */
export const jobReportSchema = z.object({
  hook: hookRefSchema,
  /** Which cluster was asked (destination server or name). */
  cluster: nullableString,
  /** null when the hook is not a Job (a bare Pod hook) or the Job is gone and no capture exists. */
  job: jobInfoSchema.nullable(),
  pods: z.array(podReportSchema),
  events: z.array(eventReportSchema),
  /** live: read from the API now; capture: from a snapshot taken before Argo CD deleted it. */
  source: z.enum(['live', 'capture', 'none']),
  capturedAt: nullableString,
  /** Each thing that could not be read and why, as a sentence for the alert. */
  missing: z.array(z.string()),
});

/** The enrichment of one event: a JobReport per hook plus notes about the whole pass. */
export const alertReportSchema = z.object({
  hooks: z.array(jobReportSchema),
  notes: z.array(z.string()),
  enrichedAt: z.string(),
  durationMs: z.number(),
});

export type LogTail = z.infer<typeof logTailSchema>;
export type ContainerState = z.infer<typeof containerStateSchema>;
export type ContainerReport = z.infer<typeof containerReportSchema>;
export type PodReport = z.infer<typeof podReportSchema>;
export type EventReport = z.infer<typeof eventReportSchema>;
export type JobInfo = z.infer<typeof jobInfoSchema>;
export type JobReport = z.infer<typeof jobReportSchema>;
export type AlertReport = z.infer<typeof alertReportSchema>;
