// Builds realistic AlertReports for the diagnosis tests: every object goes through the enrichment's own zod
// schemas, so a test cannot pass on a shape the enrichment would never produce.
import { readFileSync } from 'node:fs';
import {
  alertReportSchema,
  jobReportSchema,
  type AlertReport,
  type ContainerReport,
  type ContainerState,
  type EventReport,
  type JobInfo,
  type JobReport,
  type PodReport,
} from '../../../src/model/job-report.js';
import type { HookRef } from '../../../src/model/hook-event.js';

const FIXTURES = new URL('../../fixtures/diagnose/', import.meta.url);

/** A sample from test/fixtures/diagnose/. */
export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

/** A terminated container state. */
export function terminated(exitCode: number, reason = 'Error', message: string | null = null): ContainerState {
  return {
    state: 'terminated',
    exitCode,
    signal: null,
    reason,
    message,
    startedAt: '2024-03-04T09:41:10Z',
    finishedAt: '2024-03-04T09:41:14Z',
  };
}

/** A waiting container state (ImagePullBackOff, CreateContainerConfigError, ...). */
export function waiting(reason: string, message: string | null = null): ContainerState {
  return { state: 'waiting', exitCode: null, signal: null, reason, message, startedAt: null, finishedAt: null };
}

/** A running container state. */
export function running(): ContainerState {
  return { state: 'running', exitCode: null, signal: null, reason: null, message: null, startedAt: '2024-03-04T09:41:10Z', finishedAt: null };
}

/** A container; `log` is the tail text (null: no log, with `logUnavailable` saying why). */
export function container(over: Partial<Omit<ContainerReport, 'log'>> & { log?: string | null } = {}): ContainerReport {
  const { log = null, ...rest } = over;
  return {
    name: 'migrate',
    init: false,
    image: 'registry.example.com/payments/migrate:1.4.2',
    restartCount: 0,
    current: terminated(1),
    lastTermination: null,
    limits: { memory: '512Mi', cpu: '500m' },
    log:
      log === null
        ? null
        : { text: log, truncated: false, bytes: Buffer.byteLength(log), lines: log.split('\n').length, previous: false },
    logUnavailable: log === null ? 'no log captured' : null,
    ...rest,
  };
}

/** A pod of the hook Job. */
export function pod(name: string, containers: ContainerReport[], over: Partial<PodReport> = {}): PodReport {
  return {
    name,
    namespace: 'payments',
    uid: null,
    phase: 'Failed',
    reason: null,
    message: null,
    nodeName: 'node-1',
    createdAt: '2024-03-04T09:41:05Z',
    startedAt: '2024-03-04T09:41:06Z',
    deletedAt: null,
    unschedulable: null,
    containers,
    ...over,
  };
}

/** A Warning event of the Job or a pod. */
export function event(reason: string, message: string, object = 'Pod/db-migrate-x7k2p', type = 'Warning'): EventReport {
  return { type, reason, message, object, count: 1, firstTimestamp: '2024-03-04T09:41:07Z', lastTimestamp: '2024-03-04T09:41:07Z' };
}

/** Job info with a Failed condition of the given reason (null: no condition). */
export function jobInfo(failedReason: string | null = 'BackoffLimitExceeded', over: Partial<JobInfo> = {}): JobInfo {
  const messages: Record<string, string> = {
    BackoffLimitExceeded: 'Job has reached the specified backoff limit',
    DeadlineExceeded: 'Job was active longer than specified deadline',
  };
  return {
    name: 'db-migrate',
    namespace: 'payments',
    uid: null,
    conditions:
      failedReason === null
        ? []
        : [
            {
              type: 'Failed',
              status: 'True',
              reason: failedReason,
              message: messages[failedReason] ?? failedReason,
              lastTransitionTime: '2024-03-04T09:42:00Z',
            },
          ],
    backoffLimit: 2,
    activeDeadlineSeconds: null,
    ttlSecondsAfterFinished: null,
    active: 0,
    succeeded: 0,
    failed: 3,
    startTime: '2024-03-04T09:41:05Z',
    completionTime: null,
    durationSeconds: 55,
    images: ['registry.example.com/payments/migrate:1.4.2'],
    deletePolicy: 'BeforeHookCreation',
    createdAt: '2024-03-04T09:41:05Z',
    ...over,
  };
}

/** The hook as Argo CD reported it. */
export function hook(over: Partial<HookRef> = {}): HookRef {
  return {
    kind: 'Job',
    group: 'batch',
    namespace: 'payments',
    name: 'db-migrate',
    hookType: 'PreSync',
    hookPhase: 'Failed',
    syncPhase: 'PreSync',
    message: 'Job has reached the specified backoff limit',
    images: ['registry.example.com/payments/migrate:1.4.2'],
    ...over,
  };
}

/** One hook's JobReport, validated against the enrichment's schema. */
export function jobReport(over: Partial<JobReport> = {}): JobReport {
  return jobReportSchema.parse({
    hook: hook(),
    cluster: 'https://kubernetes.default.svc',
    job: jobInfo(),
    pods: [],
    events: [],
    source: 'live',
    capturedAt: null,
    missing: [],
    ...over,
  });
}

/** A failed migration Job whose one pod's `migrate` container exited 1 with this log. */
export function failedWithLog(log: string, over: Partial<JobReport> = {}): JobReport {
  return jobReport({ pods: [pod('db-migrate-x7k2p', [container({ log })])], ...over });
}

/** The AlertReport for one or more hooks, validated against the enrichment's schema. */
export function alertReport(...hooks: JobReport[]): AlertReport {
  return alertReportSchema.parse({ hooks, notes: [], enrichedAt: '2024-03-04T09:42:05Z', durationMs: 120 });
}
