import { randomUUID } from 'node:crypto';
import type { KubeObject } from './kube-api-server.js';

/**
 * Builders of Jobs, Pods and Events shaped like `kubectl get -o json` output of a real cluster
 * (Kubernetes 1.29+: Job controller labels, job-tracking finalizer, FailureTarget condition).
 */

export interface ContainerIn {
  name: string;
  image?: string;
  memory?: string;
  cpu?: string;
}

function containerSpec(c: ContainerIn): object {
  return {
    name: c.name,
    image: c.image ?? 'ghcr.io/example-org/payments-migrations:2.41.0',
    imagePullPolicy: 'IfNotPresent',
    command: ['/app/migrate', 'up'],
    resources: c.memory === undefined && c.cpu === undefined ? {} : { limits: { ...(c.memory ? { memory: c.memory } : {}), ...(c.cpu ? { cpu: c.cpu } : {}) } },
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

export interface JobIn {
  namespace?: string;
  name?: string;
  uid?: string;
  hookType?: string | null;
  deletePolicy?: string;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  app?: string;
  containers?: ContainerIn[];
  initContainers?: ContainerIn[];
  createdAt?: string;
  startTime?: string;
  conditions?: { type: string; status?: string; reason: string; message: string; at: string }[];
  active?: number;
  failed?: number;
  succeeded?: number;
}

/** A hook Job as Argo CD creates it (tracking annotation, hook annotations). */
export function hookJob(o: JobIn = {}): KubeObject {
  const namespace = o.namespace ?? 'payments';
  const name = o.name ?? 'db-migrate';
  const uid = o.uid ?? randomUUID();
  const app = o.app ?? 'payments-api';
  const labels = {
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': name,
    'controller-uid': uid,
    'job-name': name,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace,
      uid,
      generation: 1,
      creationTimestamp: o.createdAt ?? o.startTime ?? '2026-11-20T14:02:10Z',
      labels: { 'app.kubernetes.io/instance': app },
      annotations: {
        ...(o.hookType === null ? {} : { 'argocd.argoproj.io/hook': o.hookType ?? 'PreSync' }),
        ...(o.deletePolicy === undefined ? {} : { 'argocd.argoproj.io/hook-delete-policy': o.deletePolicy }),
        'argocd.argoproj.io/tracking-id': `${app}:batch/Job:${namespace}/${name}`,
      },
    },
    spec: {
      backoffLimit: o.backoffLimit ?? 2,
      ...(o.activeDeadlineSeconds === undefined ? {} : { activeDeadlineSeconds: o.activeDeadlineSeconds }),
      ...(o.ttlSecondsAfterFinished === undefined ? {} : { ttlSecondsAfterFinished: o.ttlSecondsAfterFinished }),
      completionMode: 'NonIndexed',
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      suspend: false,
      template: {
        metadata: { labels },
        spec: {
          ...(o.initContainers === undefined ? {} : { initContainers: o.initContainers.map(containerSpec) }),
          containers: (o.containers ?? [{ name: 'migrate', memory: '256Mi', cpu: '500m' }]).map(containerSpec),
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Never',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    },
    status: {
      ...(o.active === undefined ? {} : { active: o.active }),
      ...(o.failed === undefined ? {} : { failed: o.failed }),
      ...(o.succeeded === undefined ? {} : { succeeded: o.succeeded }),
      ready: 0,
      startTime: o.startTime ?? '2026-11-20T14:02:10Z',
      terminating: 0,
      uncountedTerminatedPods: {},
      ...(o.conditions === undefined
        ? {}
        : {
            conditions: o.conditions.flatMap((c) => [
              // Kubernetes 1.31+ adds FailureTarget before Failed; readers must pick Failed.
              ...(c.type === 'Failed'
                ? [{ type: 'FailureTarget', status: 'True', reason: c.reason, message: c.message, lastProbeTime: c.at, lastTransitionTime: c.at }]
                : []),
              { type: c.type, status: c.status ?? 'True', reason: c.reason, message: c.message, lastProbeTime: c.at, lastTransitionTime: c.at },
            ]),
          }),
    },
  };
}

type State = Record<string, unknown>;

/** Container states as the kubelet reports them. */
export const states = {
  terminated(exitCode: number, reason: string, o: { message?: string; startedAt?: string; finishedAt?: string; signal?: number } = {}): State {
    return {
      terminated: {
        containerID: `containerd://${randomUUID().replaceAll('-', '')}`,
        exitCode,
        reason,
        ...(o.message === undefined ? {} : { message: o.message }),
        ...(o.signal === undefined ? {} : { signal: o.signal }),
        startedAt: o.startedAt ?? '2026-11-20T14:02:14Z',
        finishedAt: o.finishedAt ?? '2026-11-20T14:02:31Z',
      },
    };
  },
  waiting(reason: string, message?: string): State {
    return { waiting: { reason, ...(message === undefined ? {} : { message }) } };
  },
  running(startedAt = '2026-11-20T14:02:14Z'): State {
    return { running: { startedAt } };
  },
};

export interface StatusIn {
  name: string;
  state: State;
  lastState?: State;
  restartCount?: number;
  image?: string;
}

function containerStatus(s: StatusIn): object {
  const running = 'running' in s.state;
  return {
    name: s.name,
    image: s.image ?? 'ghcr.io/example-org/payments-migrations:2.41.0',
    imageID: 'ghcr.io/example-org/payments-migrations@sha256:4b1f0c7e4d2a6b8c0e1f3a5b7c9d2e4f6a8b0c1d2e3f4a5b6c7d8e9f0a1b2c3d',
    containerID: 'waiting' in s.state ? undefined : `containerd://${randomUUID().replaceAll('-', '')}`,
    ready: running,
    started: running,
    restartCount: s.restartCount ?? 0,
    state: s.state,
    lastState: s.lastState ?? {},
  };
}

export interface PodIn {
  name: string;
  uid?: string;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  createdAt: string;
  statuses: StatusIn[];
  initStatuses?: StatusIn[];
  reason?: string;
  message?: string;
  deletionTimestamp?: string;
  unschedulable?: string;
}

/** A pod of a Job, owned by it and labelled the way the Job controller labels it. */
export function jobPod(job: KubeObject, o: PodIn): KubeObject {
  const jobSpec = job.spec as { template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> } };
  const scheduled = o.unschedulable === undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      generateName: `${job.metadata.name}-`,
      namespace: job.metadata.namespace,
      uid: o.uid ?? randomUUID(),
      creationTimestamp: o.createdAt,
      ...(o.deletionTimestamp === undefined ? {} : { deletionTimestamp: o.deletionTimestamp, deletionGracePeriodSeconds: 30 }),
      labels: { ...jobSpec.template.metadata.labels },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true },
      ],
      finalizers: ['batch.kubernetes.io/job-tracking'],
    },
    spec: { ...structuredClone(jobSpec.template.spec), ...(scheduled ? { nodeName: 'ip-10-0-3-17.eu-west-1.compute.internal' } : {}), serviceAccountName: 'default' },
    status: {
      phase: o.phase,
      ...(o.reason === undefined ? {} : { reason: o.reason }),
      ...(o.message === undefined ? {} : { message: o.message }),
      conditions: [
        scheduled
          ? { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: o.createdAt }
          : { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: o.unschedulable, lastProbeTime: null, lastTransitionTime: o.createdAt },
      ],
      ...(scheduled ? { hostIP: '10.0.3.17', podIP: '10.244.1.23', startTime: o.createdAt } : {}),
      ...(o.initStatuses === undefined ? {} : { initContainerStatuses: o.initStatuses.map(containerStatus) }),
      ...(scheduled ? { containerStatuses: o.statuses.map(containerStatus) } : {}),
      qosClass: 'Burstable',
    },
  };
}

let eventSeq = 0;

/** An Event about a Job or a Pod (core/v1, as `kubectl get events -o json` shows it). */
export function event(
  involved: KubeObject,
  o: { reason: string; message: string; type?: 'Normal' | 'Warning'; count?: number; first?: string; last?: string; component?: string },
): KubeObject {
  eventSeq += 1;
  const first = o.first ?? '2026-11-20T14:02:31Z';
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${involved.metadata.name}.${(0x17a8b000 + eventSeq).toString(16)}`,
      namespace: involved.metadata.namespace,
      uid: randomUUID(),
      creationTimestamp: first,
    },
    involvedObject: {
      apiVersion: involved.apiVersion,
      kind: involved.kind,
      name: involved.metadata.name,
      namespace: involved.metadata.namespace,
      uid: involved.metadata.uid,
    },
    reason: o.reason,
    message: o.message,
    source: { component: o.component ?? (involved.kind === 'Job' ? 'job-controller' : 'kubelet') },
    firstTimestamp: first,
    lastTimestamp: o.last ?? first,
    count: o.count ?? 1,
    type: o.type ?? 'Normal',
    eventTime: null,
    reportingComponent: o.component ?? (involved.kind === 'Job' ? 'job-controller' : 'kubelet'),
    reportingInstance: '',
  };
}
