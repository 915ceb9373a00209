import type { HookEvent } from '../model/hook-event.js';
import type { BlockedConfig } from './enrich-config.js';
import type { JobPodSighting } from './capture-watcher.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { KubePod } from '../kube/kube-objects.js';
import { hookTypeOf } from '../model/hook-annotations.js';
import { appIdentity, isFinished, jobHookEvent } from './job-hook-event.js';
import { DecidedJobs, PeriodicCheck, type HookJobWatcherDeps } from './periodic-check.js';

/**
 * Container waiting reasons that mean the pod cannot start without someone fixing something (kubelet,
 * k8s.io/kubernetes v1.31 pkg/kubelet/images/types.go and pkg/kubelet/kuberuntime/kuberuntime_container.go).
 * CrashLoopBackOff is not one: the container ran, and its failure is captured and alerted as such.
 */
export const BLOCKING_WAITING_REASONS: ReadonlySet<string> = new Set(['ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError', 'CreateContainerError']);

/** Why a pod cannot start: a container's waiting reason, or `Unschedulable`. */
export interface PodBlock {
  reason: string;
  /** The container waiting; null when the pod is not scheduled. */
  container: string | null;
  image: string | null;
  /** The kubelet's or the scheduler's message, as it says it. */
  message: string | null;
}

/** What blocks a pod from starting, or null (running, finished, being deleted, or still on its way). */
export function podBlock(pod: KubePod): PodBlock | null {
  if (pod.metadata.deletionTimestamp !== null || pod.status?.phase !== 'Pending') return null;
  const unscheduled = pod.status.conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
  if (unscheduled !== undefined) return { reason: 'Unschedulable', container: null, image: null, message: unscheduled.message };
  // Init containers run first: one of them blocks the others.
  for (const s of [...pod.status.initContainerStatuses, ...pod.status.containerStatuses]) {
    const waiting = s.state?.waiting;
    if (waiting?.reason != null && BLOCKING_WAITING_REASONS.has(waiting.reason)) {
      const spec = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === s.name);
      return { reason: waiting.reason, container: s.name, image: spec?.image ?? s.image, message: waiting.message };
    }
  }
  return null;
}

// Kubelet messages (k8s.io/kubernetes v1.31 pkg/kubelet/kubelet_pods.go, makeEnvironmentVariables and friends).
const MISSING_OBJECT = /\b(secret|configmap) "([^"]+)" not found/i;
const MISSING_KEY = /couldn't find key (\S+) in (Secret|ConfigMap) ([^/\s]+)\/(\S+)/i;

function kindName(kind: string): 'Secret' | 'ConfigMap' {
  return kind.toLowerCase() === 'configmap' ? 'ConfigMap' : 'Secret';
}

/** What to do about a blocked hook pod, first: the sentence an on-call engineer acts on. */
export function blockedAdvice(block: PodBlock, namespace: string): string {
  const message = block.message ?? '';
  switch (block.reason) {
    case 'CreateContainerConfigError': {
      const key = MISSING_KEY.exec(message);
      if (key !== null) {
        return `Add key "${key[1] ?? ''}" to ${kindName(key[2] ?? '')} ${key[3] ?? namespace}/${key[4] ?? ''} (or fix the key the hook Job references): the pod starts by itself once it is there.`;
      }
      const object = MISSING_OBJECT.exec(message);
      if (object !== null) {
        return `Create ${kindName(object[1] ?? '')} "${object[2] ?? ''}" in namespace ${namespace} (or fix the hook Job's reference to it): the pod starts by itself once it exists.`;
      }
      return 'Fix the Secret or ConfigMap reference of the hook Job that the kubelet names: the pod starts by itself once it resolves.';
    }
    case 'ImagePullBackOff':
    case 'ErrImagePull':
      return `Image ${block.image ?? '(unknown)'} cannot be pulled: check that the tag exists and that the pod's imagePullSecrets (or its service account's) give access to the registry.`;
    case 'CreateContainerError':
      return `The runtime cannot create container ${block.container ?? ''}: fix the hook Job's container spec (command, mounts, security context) as the message says.`;
    default:
      return 'No node can run the hook pod: lower its resource requests, give it the tolerations or node selector the app\'s own pods have, or add capacity.';
  }
}

/** The `hook-blocked` event's message: what to do, then what the kubelet or scheduler said. */
export function blockedMessage(block: PodBlock, pod: { namespace: string; name: string }, blockedSeconds: number): string {
  const where = block.container === null ? `pod ${pod.namespace}/${pod.name}` : `container ${block.container} of pod ${pod.namespace}/${pod.name}`;
  const said = block.message === null || block.message === '' ? '' : `: ${block.message}`;
  return `${blockedAdvice(block, pod.namespace)} The ${where} has been in ${block.reason} for ${Math.max(0, Math.round(blockedSeconds))} s${said}`;
}

export interface BlockedHookWatcherDeps extends HookJobWatcherDeps {
  config: BlockedConfig;
  /** Raise the event (the composition root stores it and wakes the worker). */
  onBlocked: (event: HookEvent) => void;
}

/** A blocked pod of a Job not yet looked up. */
interface Blocked {
  client: KubeClient;
  namespace: string;
  pod: string;
  job: { name: string; uid: string };
  block: PodBlock;
  /** When this watcher first saw it blocked for this reason (ms): the state has no timestamp of its own. */
  since: number;
}

/**
 * Blocked hooks (issue 19): a hook pod that cannot start waits silently until the stuck threshold or its
 * deadline. Pods of Jobs are checked on every change the capture watch sees, without an API call; every
 * `checkIntervalMs`, a pod blocked for `afterSeconds` or more has its Job read, and if the Job is a hook of an
 * alerting type that still runs, one `hook-blocked` event goes through the normal pipeline (a Job alerts
 * once; its incident key makes a repeat by another replica or after a restart a duplicate).
 */
export class BlockedHookWatcher {
  readonly #d: BlockedHookWatcherDeps;
  readonly #clock: () => number;
  /** Pod uid → why it is blocked, while it is. */
  readonly #blocked = new Map<string, Blocked>();
  readonly #decided = new DecidedJobs();
  readonly #periodic: PeriodicCheck;

  constructor(deps: BlockedHookWatcherDeps) {
    this.#d = deps;
    this.#clock = deps.clock ?? Date.now;
    this.#periodic = new PeriodicCheck({ intervalMs: deps.config.checkIntervalMs, pass: () => this.check(), logger: deps.logger, what: 'blocked-hook check' });
  }

  /** A Job's pod changed: remember it while it is blocked, forget it otherwise. */
  sighting(s: JobPodSighting): void {
    const uid = s.pod.metadata.uid;
    if (uid === null) return;
    const block = s.running && !this.#decided.has(s.job.uid) ? podBlock(s.pod) : null;
    if (block === null) {
      this.#blocked.delete(uid);
      return;
    }
    const known = this.#blocked.get(uid);
    // ErrImagePull and ImagePullBackOff alternate while the kubelet retries: one blocked spell.
    const same = known !== undefined && (known.block.reason === block.reason || (isPull(known.block.reason) && isPull(block.reason)));
    this.#blocked.set(uid, { client: s.client, namespace: s.pod.metadata.namespace ?? '', pod: s.pod.metadata.name, job: s.job, block, since: same ? known.since : this.#clock() });
  }

  /** Pods blocked now (tests and diagnostics). */
  get blocked(): number {
    return this.#blocked.size;
  }

  /** Check periodically. */
  start(): void {
    this.#periodic.start();
  }

  /** Stop checking and wait for a check in progress. */
  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  #decide(jobUid: string): void {
    this.#decided.add(jobUid);
    for (const [pod, b] of this.#blocked) if (b.job.uid === jobUid) this.#blocked.delete(pod);
  }

  /** One pass: each Job with a pod blocked for `afterSeconds` is looked up; returns the events raised. */
  async check(): Promise<HookEvent[]> {
    const raised: HookEvent[] = [];
    const now = this.#clock();
    const due = new Map<string, Blocked>();
    for (const b of this.#blocked.values()) {
      if (now - b.since >= this.#d.config.afterSeconds * 1_000 && !due.has(b.job.uid)) due.set(b.job.uid, b);
    }
    for (const [uid, b] of due) {
      const where = `${b.namespace}/${b.job.name}`;
      let job;
      try {
        job = await b.client.readJob(b.namespace, b.job.name, AbortSignal.timeout(10_000));
      } catch (err) {
        this.#d.logger.warn({ job: where, error: err instanceof Error ? err.message : String(err) }, 'blocked-hook check could not read the Job; trying again next time');
        continue;
      }
      this.#decide(uid);
      const hookType = job === null ? null : hookTypeOf(job.metadata.annotations);
      if (job === null || job.metadata.uid !== uid || isFinished(job) || hookType === null || !this.#d.hookTypes.includes(hookType)) continue;
      const app = appIdentity(job, this.#d.appNamespace);
      if (app === null) {
        this.#d.logger.warn({ job: where }, 'hook Job cannot start but carries no Argo CD tracking; no alert can be routed for it');
        continue;
      }
      const message = blockedMessage(b.block, { namespace: b.namespace, name: b.pod }, (now - b.since) / 1_000);
      const event = jobHookEvent('hook-blocked', job, message, { app, destination: this.#d.destinationOf(b.client), now: new Date(now) });
      raised.push(event);
      this.#d.onBlocked(event);
    }
    return raised;
  }
}

function isPull(reason: string): boolean {
  return reason === 'ImagePullBackOff' || reason === 'ErrImagePull';
}
