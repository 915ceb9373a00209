import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { describeError } from '../errors.js';
import { classifyKubeError, fromHttpStatus, KubeCallError, type AbortCause } from './kube-failure.js';
import {
  applicationSchema,
  eventSchema,
  jobSchema,
  JOB_NAME_LABEL,
  leaseSchema,
  LEGACY_JOB_NAME_LABEL,
  podSchema,
  secretSchema,
  type KubeApplication,
  type KubeEvent,
  type KubeJob,
  type KubeLease,
  type KubePod,
  type KubeSecret,
} from './kube-objects.js';
import type { KubeConnection } from './kubeconfig-connection.js';

/**
 * Every API access this service makes (deploy/base/rbac-*.yaml grant exactly these; a test keeps them equal).
 */
export const REQUIRED_ACCESS = [
  { apiGroup: 'batch', resource: 'jobs', verbs: ['get'] },
  { apiGroup: '', resource: 'pods', verbs: ['get', 'list', 'watch'] },
  { apiGroup: '', resource: 'pods/log', verbs: ['get'] },
  { apiGroup: '', resource: 'events', verbs: ['list'] },
] as const;

/**
 * The access the Application backstop adds when it is on (deploy/components/argocd-backstop grants exactly
 * this, in the Argo CD namespace; a test keeps them equal).
 */
export const BACKSTOP_ACCESS = [{ apiGroup: 'argoproj.io', resource: 'applications', verbs: ['list', 'watch'] }] as const;

/** Largest error body read from the API server (a Status object is a few hundred bytes). */
const ERROR_BODY_CAP = 64 * 1024;
/**
 * Largest answer about one object (a GET, one watch event). etcd refuses objects over 1.5 MiB by default;
 * their JSON is a little larger.
 */
const OBJECT_BODY_CAP = 4 * 1024 * 1024;
/**
 * Largest list page read. JSON.parse holds the text and the objects at once (1.25-1.5x the text on the
 * heap, measured on event and pod lists) and the raw bytes twice off the heap while they are joined; the
 * image gives the whole process a 128 MiB heap and the pod 256 MiB. A 4 MiB page holds 100 pods of 40 KB
 * (real ones are 5-15 KB). A larger page is refused, not held, and items beyond `limit` are dropped
 * before they are parsed: a server or proxy that ignores `limit` cannot make us hold 30 MB (200,000 events
 * crashed the process under the former 32 MiB cap).
 */
const LIST_BODY_CAP = 4 * 1024 * 1024;
/** Longest line of a watch stream: one event carries one object. Without a cap, a stream with no newline grows without end. */
const WATCH_LINE_CAP = OBJECT_BODY_CAP;
/** Items asked per page (`limit`). */
export const LIST_PAGE = 100;
/** Pods of one Job read at most: the alert shows maxPodsPerHook (≤ 50) of them. */
export const MAX_JOB_PODS = 200;
const USER_AGENT = 'argocd-hook-alerts';

/** How many times one GET is sent again after a 429 with Retry-After (client-go's default is 10). */
const THROTTLE_RETRIES = 5;
/** The longest Retry-After waited; longer ones fail the call, which the worker retries with its own backoff. */
const THROTTLE_WAIT_CAP_MS = 10_000;

/** The wait a Retry-After header asks for (whole seconds, as the API server sends it), or null. */
function retryAfterMs(header: string | undefined): number | null {
  if (header === undefined || !/^\d+$/.test(header.trim())) return null;
  const ms = Number(header.trim()) * 1000;
  return ms <= THROTTLE_WAIT_CAP_MS ? ms : null;
}

/** A log as read from the API: at most the byte cap, possibly cut by it. */
export interface RawLog {
  text: string;
  bytes: number;
  /** The API returned the byte cap: the tail window was larger. */
  cutByCap: boolean;
}

/** One event of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: unknown;
}

/**
 * A list answer's envelope. Items stay unknown here: they are cut to the number asked for before each is
 * parsed with its object's schema, so an answer that ignores `limit` costs no more than one that obeys.
 */
const listSchema = z.object({
  metadata: z
    .object({ resourceVersion: z.string().nullish(), continue: z.string().nullish() })
    .nullish()
    .transform((v) => ({
      resourceVersion: v?.resourceVersion ?? null,
      // The API server sends continue: "" on the last page.
      continueToken: v?.continue === undefined || v.continue === null || v.continue === '' ? null : v.continue,
    })),
  items: z.unknown(),
});

/** One page of a list, cut to what was asked for. */
interface ListPage {
  items: unknown[];
  resourceVersion: string | null;
  continueToken: string | null;
  /** The server sent more items than `limit` asked for (it or a proxy ignores `limit`); the rest was dropped. */
  overflow: boolean;
}

/** Items of a list read page by page up to a maximum; `truncated`: more exist than were read. */
export interface BoundedList<T> {
  items: T[];
  truncated: boolean;
}

const watchLineSchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: z.unknown(),
});

/** A page of a watched resource and the resourceVersion to watch from. */
export interface ResourcePage<T> {
  items: T[];
  resourceVersion: string | null;
  continueToken: string | null;
  /** The server sent more items than asked for: only the first LIST_PAGE were read (and no next page exists). */
  truncated: boolean;
}

/** A kind of object that is listed and watched: where its collection lives and how one object is parsed. */
export interface WatchedResource<T> {
  /** What one is called in messages: "pod", "Application". */
  noun: string;
  /** The collection's path in a namespace, or across every namespace when null. */
  path(namespace: string | null): string;
  schema: z.ZodType<T>;
}

/** A collection path under an API group's version prefix (`/api/v1`, `/apis/argoproj.io/v1alpha1`). */
function collectionPath(prefix: string, plural: string, namespace: string | null): string {
  return namespace === null ? `${prefix}/${plural}` : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

/** Pods (v1). */
export const PODS: WatchedResource<KubePod> = { noun: 'pod', path: (ns) => collectionPath('/api/v1', 'pods', ns), schema: podSchema };

/** Argo CD Applications (argoproj.io/v1alpha1): the backstop's resource. */
export const APPLICATIONS: WatchedResource<KubeApplication> = {
  noun: 'Application',
  path: (ns) => collectionPath('/apis/argoproj.io/v1alpha1', 'applications', ns),
  schema: applicationSchema,
};

/** A request that writes: its method and the JSON body it sends. */
type JsonWrite = { method: 'POST' | 'PUT'; body: unknown };

/** What a Lease write sends: `resourceVersion` null creates it, otherwise it replaces that version. */
export interface LeaseWrite {
  name: string;
  resourceVersion: string | null;
  spec: { holderIdentity: string; leaseDurationSeconds: number; acquireTime: string; renewTime: string; leaseTransitions: number };
}

function leasePath(namespace: string, name: string | null): string {
  const collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === null ? collection : `${collection}/${encodeURIComponent(name)}`;
}

function mib(bytes: number): string {
  return `${bytes / (1024 * 1024)} MiB`;
}

/** Read a response body into memory up to `cap` bytes; stops reading (destroys the stream) at the cap. */
function readCapped(res: IncomingMessage, cap: number): Promise<{ buffer: Buffer; capped: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (capped: boolean): void => {
      if (settled) return;
      settled = true;
      const buffer = Buffer.concat(chunks, Math.min(size, cap));
      resolve({ buffer: buffer.length > cap ? buffer.subarray(0, cap) : buffer, capped });
    };
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = cap - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= cap) {
        finish(true);
        // Stop reading: a server (or proxy) that ignores limitBytes must not make us hold 10 MB.
        res.destroy();
      }
    });
    res.on('end', () => finish(false));
    res.on('error', (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
    res.on('close', () => {
      if (settled) return;
      settled = true;
      reject(new Error('the connection closed before the answer was complete'));
    });
  });
}

/** Throw the KubeCallError of a non-200 answer, classified from its (capped) Status body. */
async function throwUnlessOk(res: IncomingMessage): Promise<void> {
  // 201: a create (POST) succeeded.
  if (res.statusCode === 200 || res.statusCode === 201) return;
  const { buffer } = await readCapped(res, ERROR_BODY_CAP);
  throw fromHttpStatus(res.statusCode ?? 0, buffer.toString('utf8'));
}

/**
 * One destination cluster's API, as enrichment and capture use it: plain GETs over node:http(s) through
 * the cluster's KubeConnection (kubeconfig or in-cluster), each bounded by a per-call timeout and the
 * caller's signal (the enrichment deadline). Answers are parsed with the zod schemas of kube-objects.ts.
 * Failures are thrown as KubeCallError, never as raw socket errors.
 */
export class KubeClient {
  /** The cluster as configured (destination server URL or name, "in-cluster"). */
  readonly clusterId: string;
  readonly #connection: KubeConnection;
  readonly #base: string;
  readonly #timeoutMs: number;
  /** When a request last left for the API server (credentials in hand), and when it last answered anything. */
  #lastRequestAt = 0;
  #lastAnswerAt = 0;
  /** Told of every failed call (the API error counter); not of answers that mean "absent" (404 on a read). */
  #onFailure: (failure: KubeCallError) => void = () => undefined;
  /** Set when the cluster was found silent or unreachable: calls fail at once until `until`. */
  #silent: { until: number; error: KubeCallError } | null = null;

  constructor(clusterId: string, connection: KubeConnection, opts: { callTimeoutMs: number }) {
    this.clusterId = clusterId;
    this.#connection = connection;
    // A server URL may carry a path prefix (Rancher, kube-proxy style gateways): API paths go after it.
    this.#base = connection.server.replace(/\/+$/, '');
    this.#timeoutMs = opts.callTimeoutMs;
  }

  /** Count failed calls (one observer; a later call replaces it). */
  observeFailures(observer: (failure: KubeCallError) => void): void {
    this.#onFailure = observer;
  }

  /** The API server URL, for messages. */
  get server(): string {
    return this.#connection.server;
  }

  /**
   * Run one call under its own timeout and the caller's signal. The race against the abort makes the call
   * settle on time even if a layer ignored the signal (an exec plugin still running); the signal still
   * cancels the socket.
   */
  async #call<T>(signal: AbortSignal, fn: (signal: AbortSignal) => Promise<T>, timeoutMs = this.#timeoutMs): Promise<T> {
    if (signal.aborted) throw classifyKubeError(null, { kind: 'deadline' });
    const silent = this.#silent;
    if (silent !== null && Date.now() < silent.until) throw silent.error;
    const startedAt = Date.now();
    const controller = new AbortController();
    let abortedBy: AbortCause | null = null;
    const onOuterAbort = (): void => {
      abortedBy ??= { kind: 'deadline' };
      controller.abort();
    };
    signal.addEventListener('abort', onOuterAbort, { once: true });
    const timer = setTimeout(() => {
      abortedBy ??= { kind: 'timeout', ms: timeoutMs };
      controller.abort();
    }, timeoutMs);
    const aborted = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
    });
    try {
      return await Promise.race([fn(controller.signal), aborted]);
    } catch (err) {
      const failure = classifyKubeError(err, abortedBy);
      this.#noteSilence(failure, startedAt);
      // A deadline is the caller's own budget running out, and a 404 is how a read learns an object is gone.
      if (failure.kind !== 'deadline' && failure.kind !== 'not-found') this.#onFailure(failure);
      throw failure;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onOuterAbort);
    }
  }

  /**
   * A cluster that answered nothing during a whole call timeout, or cannot be reached, is not asked again
   * for three call timeouts: each event's enrichment fails at once with the reason instead of waiting out
   * its own timeouts (16 events behind a hanging API server took 85 s to go out).
   */
  #noteSilence(failure: KubeCallError, startedAt: number): void {
    // A slow credential plugin is not the server's silence: only a call whose request left counts.
    const asked = this.#lastRequestAt >= startedAt;
    const silent = asked && ((failure.kind === 'timeout' && this.#lastAnswerAt < startedAt) || failure.kind === 'unreachable');
    if (!silent || (this.#silent !== null && Date.now() < this.#silent.until)) return;
    const holdMs = this.#timeoutMs * 3;
    const until = Date.now() + holdMs;
    this.#silent = {
      until,
      error: new KubeCallError(failure.kind, `${failure.detail}; not asked again until ${new Date(until).toISOString()} (${holdMs / 1000} s)`),
    };
  }

  #parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) throw new KubeCallError('invalid-response', z.prettifyError(result.error).slice(0, 300));
    return result.data;
  }

  /** GET (or, with `write`, POST/PUT) and read a JSON answer of at most `cap` bytes: other answers than 200/201 are classified from their Status body, larger or non-JSON ones refused. */
  async #requestJson(path: string, query: Record<string, string>, signal: AbortSignal, cap: number, write: JsonWrite | null = null): Promise<unknown> {
    const request = `${write?.method ?? 'GET'} ${path}`;
    return this.#call(signal, async (s) => {
      const res = await this.#openStream(path, query, s, write);
      await throwUnlessOk(res);
      const { buffer, capped } = await readCapped(res, cap);
      if (capped) throw new KubeCallError('too-large', `the answer to ${request} is larger than ${mib(cap)}${'limit' in query ? ` (asked for ${query.limit} items: the API server, or a proxy in between, ignores \`limit\`)` : ''}`);
      try {
        return JSON.parse(buffer.toString('utf8')) as unknown;
      } catch (err) {
        throw new KubeCallError('invalid-response', `the answer to ${request} is not JSON (${describeError(err).slice(0, 200)})`);
      }
    });
  }

  /** One page of a list: at most `limit` items (an answer with more is cut, see ListPage.overflow). */
  async #getPage(path: string, query: Record<string, string>, limit: number, signal: AbortSignal): Promise<ListPage> {
    const list = this.#parse(listSchema, await this.#requestJson(path, { ...query, limit: String(limit) }, signal, LIST_BODY_CAP));
    const items = list.items ?? [];
    if (!Array.isArray(items)) throw new KubeCallError('invalid-response', `the answer to GET ${path} has no items list`);
    return {
      items: items.length > limit ? items.slice(0, limit) : items,
      resourceVersion: list.metadata.resourceVersion,
      continueToken: items.length > limit ? null : list.metadata.continueToken,
      overflow: items.length > limit,
    };
  }

  /**
   * Items of a list, `pageSize` per request (`limit`, then `continue`), parsed one by one with `schema`,
   * stopping at `maxItems`: Kubernetes list semantics, so that neither one answer nor the whole list
   * is ever held beyond those bounds.
   */
  async #listBounded<S extends z.ZodType>(
    path: string,
    query: Record<string, string>,
    schema: S,
    bounds: { pageSize: number; maxItems: number },
    signal: AbortSignal,
  ): Promise<BoundedList<z.infer<S>>> {
    const items: z.infer<S>[] = [];
    let continueToken: string | null = null;
    for (;;) {
      const room = bounds.maxItems - items.length;
      const page: ListPage = await this.#getPage(
        path,
        continueToken === null ? query : { ...query, continue: continueToken },
        Math.min(bounds.pageSize, room),
        signal,
      );
      for (const item of page.items) items.push(this.#parse(schema, item));
      continueToken = page.continueToken;
      if (page.overflow) return { items, truncated: true };
      if (continueToken === null) return { items, truncated: false };
      if (items.length >= bounds.maxItems) return { items, truncated: true };
    }
  }

  /** The Lease (coordination.k8s.io/v1), or null when it does not exist (404). */
  async readLease(namespace: string, name: string, signal: AbortSignal): Promise<KubeLease | null> {
    return this.#getOrNull(leasePath(namespace, name), leaseSchema, signal);
  }

  /** One object by its path, parsed with `schema`, or null when it does not exist (404). */
  async #getOrNull<S extends z.ZodType>(path: string, schema: S, signal: AbortSignal): Promise<z.infer<S> | null> {
    try {
      return this.#parse(schema, await this.#requestJson(path, {}, signal, OBJECT_BODY_CAP));
    } catch (err) {
      if (err instanceof KubeCallError && err.kind === 'not-found') return null;
      throw err;
    }
  }

  /**
   * Create the Lease (POST) or, when `resourceVersion` is given, replace the version read (PUT): the API
   * server refuses a write based on a stale version with 409 (kind `conflict`), which is how two replicas
   * writing at once never both win.
   */
  async writeLease(namespace: string, lease: LeaseWrite, signal: AbortSignal): Promise<KubeLease> {
    const body = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: lease.name, namespace, ...(lease.resourceVersion === null ? {} : { resourceVersion: lease.resourceVersion }) },
      spec: lease.spec,
    };
    const path = lease.resourceVersion === null ? leasePath(namespace, null) : leasePath(namespace, lease.name);
    const write: JsonWrite = { method: lease.resourceVersion === null ? 'POST' : 'PUT', body };
    return this.#parse(leaseSchema, await this.#requestJson(path, {}, signal, OBJECT_BODY_CAP, write));
  }

  /** The Secret, or null when it does not exist (404). */
  async readSecret(namespace: string, name: string, signal: AbortSignal): Promise<KubeSecret | null> {
    return this.#getOrNull(`/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`, secretSchema, signal);
  }

  /** Secrets of a namespace matching a label selector, at most `maxItems` (`truncated` says that more exist). */
  async listSecrets(namespace: string, labelSelector: string, maxItems: number, signal: AbortSignal): Promise<BoundedList<KubeSecret>> {
    return this.#listBounded(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      { labelSelector },
      secretSchema,
      { pageSize: Math.min(LIST_PAGE, maxItems), maxItems },
      signal,
    );
  }

  /** The Job, or null when it does not exist (404). */
  async readJob(namespace: string, name: string, signal: AbortSignal): Promise<KubeJob | null> {
    return this.#getOrNull(`/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs/${encodeURIComponent(name)}`, jobSchema, signal);
  }

  /** The pod, or null when it does not exist (404). */
  async readPod(namespace: string, name: string, signal: AbortSignal): Promise<KubePod | null> {
    return this.#getOrNull(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`, podSchema, signal);
  }

  /**
   * Pods of a Job by the Job controller's label, falling back to the legacy `job-name` label; at most
   * MAX_JOB_PODS (`truncated` says that more exist).
   */
  async listJobPods(namespace: string, jobName: string, signal: AbortSignal): Promise<BoundedList<KubePod>> {
    for (const label of [JOB_NAME_LABEL, LEGACY_JOB_NAME_LABEL]) {
      const pods = await this.#listBounded(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        { labelSelector: `${label}=${jobName}` },
        podSchema,
        { pageSize: LIST_PAGE, maxItems: MAX_JOB_PODS },
        signal,
      );
      if (pods.items.length > 0) return pods;
    }
    return { items: [], truncated: false };
  }

  /** Events about one object (fieldSelector on involvedObject), at most `limit`; `truncated` says that more exist. */
  async listEvents(namespace: string, kind: string, name: string, limit: number, signal: AbortSignal): Promise<BoundedList<KubeEvent>> {
    return this.#listBounded(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` },
      eventSchema,
      { pageSize: limit, maxItems: limit },
      signal,
    );
  }

  /** One page (LIST_PAGE at most) of a resource, matching a label selector when given, in a namespace or cluster-wide. */
  async listPage<T>(
    resource: WatchedResource<T>,
    params: { namespace: string | null; labelSelector: string | null; continueToken: string | null },
    signal: AbortSignal,
  ): Promise<ResourcePage<T>> {
    const query: Record<string, string> = {};
    if (params.labelSelector !== null) query.labelSelector = params.labelSelector;
    if (params.continueToken !== null) query.continue = params.continueToken;
    const page = await this.#getPage(resource.path(params.namespace), query, LIST_PAGE, signal);
    return {
      items: page.items.map((item) => this.#parse(resource.schema, item)),
      resourceVersion: page.resourceVersion,
      continueToken: page.continueToken,
      truncated: page.overflow,
    };
  }

  /**
   * Send a GET and resolve with the response (any status). A 401 drops cached credentials (an expired exec
   * token, a rotated token file) so that the next call fetches fresh ones.
   */
  async #openStream(path: string, query: Record<string, string>, signal: AbortSignal, write: JsonWrite | null = null): Promise<IncomingMessage> {
    const url = new URL(this.#base + path);
    const payload = write === null ? null : JSON.stringify(write.body);
    const bodyHeaders: Record<string, string | number> =
      payload === null ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    // A credential failure (KubeCredentialError) is classified by the caller, like every other failure.
    const opts = await this.#connection.requestOptions();
    const request = url.protocol === 'http:' ? http.request : https.request;
    this.#lastRequestAt = Date.now();
    const sendOnce = (): Promise<IncomingMessage> => new Promise<IncomingMessage>((resolve, reject) => {
      let retried = false;
      const send = (): void => {
        const req = request(
          url,
          { method: write?.method ?? 'GET', agent: opts.agent, signal, headers: { ...opts.headers, ...bodyHeaders, Accept: 'application/json', 'User-Agent': USER_AGENT } },
          resolve,
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed while idle fails at once: retry once on a new one (the
          // pattern the node:http docs give for reusedSocket). Writes too: a Lease write carries the
          // resourceVersion it read, so a repeat the server already applied is refused, not applied twice.
          if (!retried && req.reusedSocket && err.code === 'ECONNRESET' && !signal.aborted) {
            retried = true;
            send();
          } else {
            reject(err);
          }
        });
        req.end(payload ?? undefined);
      };
      send();
    });
    let res = await sendOnce();
    // API Priority and Fairness answers 429 with Retry-After when the server is saturated; like client-go,
    // wait as told and send again, a bounded number of times, and only when told how long.
    for (let retry = 0; retry < THROTTLE_RETRIES && res.statusCode === 429; retry++) {
      const waitMs = retryAfterMs(res.headers['retry-after']);
      if (waitMs === null) break;
      res.resume();
      await sleep(waitMs, undefined, { signal });
      res = await sendOnce();
    }
    this.#lastAnswerAt = Date.now();
    if (this.#silent !== null && Date.now() >= this.#silent.until) this.#silent = null;
    if (res.statusCode === 401) this.#connection.invalidateCredentials();
    return res;
  }

  async #readLogOnce(
    namespace: string,
    pod: string,
    container: string,
    o: { tailLines: number; limitBytes: number; previous: boolean },
    signal: AbortSignal,
  ): Promise<RawLog & { completeLines: number }> {
    return this.#call(signal, async (s) => {
      const res = await this.#openStream(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
        { container, tailLines: String(o.tailLines), limitBytes: String(o.limitBytes), previous: String(o.previous) },
        s,
      );
      await throwUnlessOk(res);
      const { buffer, capped } = await readCapped(res, o.limitBytes);
      // StringDecoder holds back a multi-byte character cut by the cap instead of emitting U+FFFD.
      const text = new StringDecoder('utf8').write(buffer);
      const newlines = text.split('\n').length - 1;
      return { text, bytes: buffer.length, cutByCap: capped || buffer.length >= o.limitBytes, completeLines: newlines };
    });
  }

  /**
   * The tail of a container's log, holding at most `limitBytes`. The API's limitBytes keeps the *start* of
   * the tailLines window; when the window is larger than the cap, a second read asks for as many lines as
   * fitted, so that the alert shows the end of the log, where the error is. At most 2 × limitBytes are read.
   */
  async readLogTail(
    namespace: string,
    pod: string,
    container: string,
    o: { tailLines: number; limitBytes: number; previous: boolean },
    signal: AbortSignal,
  ): Promise<RawLog> {
    const first = await this.#readLogOnce(namespace, pod, container, o, signal);
    if (!first.cutByCap || o.tailLines <= 1) return first;
    const lines = Math.max(1, Math.floor(first.completeLines * 0.8));
    try {
      const second = await this.#readLogOnce(namespace, pod, container, { ...o, tailLines: lines }, signal);
      return { text: second.text, bytes: second.bytes, cutByCap: true };
    } catch {
      // The first read is still a bounded part of the tail: better than nothing when the second fails.
      return first;
    }
  }

  /**
   * Watch a resource from a resourceVersion until the server ends the stream (timeoutSeconds), the signal
   * aborts or nothing (not even a bookmark) arrives for `idleMs`. Resolves when the stream ends normally.
   */
  async watch(
    resource: WatchedResource<unknown>,
    params: { namespace: string | null; labelSelector: string | null; resourceVersion: string; timeoutSeconds: number; idleMs: number },
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = resource.path(params.namespace);
    const query: Record<string, string> = {
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: params.resourceVersion,
      timeoutSeconds: String(params.timeoutSeconds),
    };
    if (params.labelSelector !== null) query.labelSelector = params.labelSelector;
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    let idleFired = false;
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        idleFired = true;
        controller.abort();
      }, params.idleMs);
    };
    armIdle();
    try {
      const res = await this.#openStream(path, query, controller.signal);
      await throwUnlessOk(res);
      await new Promise<void>((resolve, reject) => {
        let failed: Error | null = null;
        const fail = (err: Error): void => {
          failed ??= err;
          res.destroy();
        };
        const onLine = (line: Buffer): void => {
          if (failed !== null) return;
          const text = line.toString('utf8');
          if (text.trim() === '') return;
          try {
            const parsed = watchLineSchema.parse(JSON.parse(text));
            onEvent({ type: parsed.type, object: parsed.object });
          } catch (err) {
            fail(err instanceof Error ? err : new Error('a watch line is not a {type, object} event'));
          }
        };
        // Lines are split on the byte 0x0A, which never occurs inside a multi-byte UTF-8 character. A line
        // is held only up to WATCH_LINE_CAP: readline would buffer a stream without newlines until the heap
        // ran out (5 s on a fast link).
        let partial: Buffer[] = [];
        let partialBytes = 0;
        res.on('data', (chunk: Buffer) => {
          armIdle();
          let start = 0;
          for (let nl = chunk.indexOf(0x0a); nl >= 0 && failed === null; nl = chunk.indexOf(0x0a, start)) {
            const piece = chunk.subarray(start, nl);
            start = nl + 1;
            if (partialBytes + piece.length > WATCH_LINE_CAP) {
              fail(new KubeCallError('too-large', `a watch event is larger than ${mib(WATCH_LINE_CAP)}; the stream was dropped`));
              return;
            }
            onLine(partial.length === 0 ? piece : Buffer.concat([...partial, piece]));
            partial = [];
            partialBytes = 0;
          }
          if (failed !== null || start >= chunk.length) return;
          partial.push(chunk.subarray(start));
          partialBytes += chunk.length - start;
          if (partialBytes > WATCH_LINE_CAP) {
            partial = [];
            fail(new KubeCallError('too-large', `a watch event is larger than ${mib(WATCH_LINE_CAP)} (no newline within it); the stream was dropped`));
          }
        });
        res.on('end', () => {
          if (partialBytes > 0) onLine(Buffer.concat(partial));
          partial = [];
        });
        // A dropped connection must reject, not become an uncaught exception.
        res.on('error', (err) => {
          failed ??= err;
        });
        // An aborted or reset response ends with 'close' alone ('end' never comes).
        res.on('close', () => {
          if (failed !== null) reject(failed);
          else if (!res.complete) reject(new Error('the watch connection closed before the server ended it'));
          else resolve();
        });
      });
    } catch (err) {
      if (idleFired) throw new KubeCallError('timeout', `no watch event or bookmark for ${params.idleMs} ms`);
      if (signal.aborted) return;
      throw classifyKubeError(err, null);
    } finally {
      clearTimeout(idle);
      signal.removeEventListener('abort', onAbort);
    }
  }
}
