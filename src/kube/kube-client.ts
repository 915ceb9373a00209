import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { describeError } from '../errors.js';
import { classifyKubeError, fromHttpStatus, KubeCallError, type AbortCause } from './kube-failure.js';
import {
  eventSchema,
  jobSchema,
  JOB_NAME_LABEL,
  LEGACY_JOB_NAME_LABEL,
  podSchema,
  type KubeEvent,
  type KubeJob,
  type KubePod,
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

/** Largest error body read from the API server (a Status object is a few hundred bytes). */
const ERROR_BODY_CAP = 64 * 1024;
/** Items per page when listing, so that one answer never holds a whole cluster's pods. */
const LIST_PAGE = 250;
/**
 * Largest JSON answer read (a page of 250 pods is a few MB; objects with big annotations can be more).
 * A larger one is refused rather than held, to keep memory bounded.
 */
const JSON_BODY_CAP = 32 * 1024 * 1024;
const USER_AGENT = 'argocd-hook-alerts';

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

/** A list answer: items are parsed one by one with the object's own schema. */
const listSchema = z.object({
  metadata: z
    .object({ resourceVersion: z.string().nullish(), continue: z.string().nullish() })
    .nullish()
    .transform((v) => ({
      resourceVersion: v?.resourceVersion ?? null,
      // The API server sends continue: "" on the last page.
      continueToken: v?.continue === undefined || v.continue === null || v.continue === '' ? null : v.continue,
    })),
  items: z
    .array(z.unknown())
    .nullish()
    .transform((v) => v ?? []),
});

const watchLineSchema = z.object({
  type: z.enum(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']),
  object: z.unknown(),
});

/** A page of pods and the resourceVersion to watch from. */
export interface PodPage {
  items: KubePod[];
  resourceVersion: string | null;
  continueToken: string | null;
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
  if (res.statusCode === 200) return;
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

  constructor(clusterId: string, connection: KubeConnection, opts: { callTimeoutMs: number }) {
    this.clusterId = clusterId;
    this.#connection = connection;
    // A server URL may carry a path prefix (Rancher, kube-proxy style gateways): API paths go after it.
    this.#base = connection.server.replace(/\/+$/, '');
    this.#timeoutMs = opts.callTimeoutMs;
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
      throw classifyKubeError(err, abortedBy);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onOuterAbort);
    }
  }

  #parse<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
    const result = schema.safeParse(value);
    if (!result.success) throw new KubeCallError('invalid-response', z.prettifyError(result.error).slice(0, 300));
    return result.data;
  }

  /** GET a JSON object: non-200 answers are classified from their Status body, oversized or non-JSON ones refused. */
  async #getJson(path: string, query: Record<string, string>, signal: AbortSignal): Promise<unknown> {
    return this.#call(signal, async (s) => {
      const res = await this.#openStream(path, query, s);
      await throwUnlessOk(res);
      const { buffer, capped } = await readCapped(res, JSON_BODY_CAP);
      if (capped) throw new KubeCallError('invalid-response', `the answer to GET ${path} is larger than ${JSON_BODY_CAP} bytes and was not read`);
      try {
        return JSON.parse(buffer.toString('utf8')) as unknown;
      } catch (err) {
        throw new KubeCallError('invalid-response', `the answer to GET ${path} is not JSON (${describeError(err).slice(0, 200)})`);
      }
    });
  }

  async #getList(path: string, query: Record<string, string>, signal: AbortSignal): Promise<z.infer<typeof listSchema>> {
    return this.#parse(listSchema, await this.#getJson(path, query, signal));
  }

  /** The Job, or null when it does not exist (404). */
  async readJob(namespace: string, name: string, signal: AbortSignal): Promise<KubeJob | null> {
    try {
      const job = await this.#getJson(`/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs/${encodeURIComponent(name)}`, {}, signal);
      return this.#parse(jobSchema, job);
    } catch (err) {
      if (err instanceof KubeCallError && err.kind === 'not-found') return null;
      throw err;
    }
  }

  /** The pod, or null when it does not exist (404). */
  async readPod(namespace: string, name: string, signal: AbortSignal): Promise<KubePod | null> {
    try {
      const pod = await this.#getJson(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`, {}, signal);
      return this.#parse(podSchema, pod);
    } catch (err) {
      if (err instanceof KubeCallError && err.kind === 'not-found') return null;
      throw err;
    }
  }

  /** Pods of a Job by the Job controller's label, falling back to the legacy `job-name` label. */
  async listJobPods(namespace: string, jobName: string, signal: AbortSignal): Promise<KubePod[]> {
    for (const label of [JOB_NAME_LABEL, LEGACY_JOB_NAME_LABEL]) {
      const list = await this.#getList(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        { labelSelector: `${label}=${jobName}`, limit: String(LIST_PAGE) },
        signal,
      );
      const pods = list.items.map((p) => this.#parse(podSchema, p));
      if (pods.length > 0) return pods;
    }
    return [];
  }

  /** Events about one object (fieldSelector on involvedObject), at most `limit`. */
  async listEvents(namespace: string, kind: string, name: string, limit: number, signal: AbortSignal): Promise<KubeEvent[]> {
    const list = await this.#getList(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`, limit: String(limit) },
      signal,
    );
    return list.items.map((e) => this.#parse(eventSchema, e));
  }

  /** One page of pods matching a label selector, in a namespace or cluster-wide. */
  async listPods(
    params: { namespace: string | null; labelSelector: string; continueToken: string | null },
    signal: AbortSignal,
  ): Promise<PodPage> {
    const path = params.namespace === null ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(params.namespace)}/pods`;
    const query: Record<string, string> = { labelSelector: params.labelSelector, limit: String(LIST_PAGE) };
    if (params.continueToken !== null) query.continue = params.continueToken;
    const list = await this.#getList(path, query, signal);
    return {
      items: list.items.map((p) => this.#parse(podSchema, p)),
      resourceVersion: list.metadata.resourceVersion,
      continueToken: list.metadata.continueToken,
    };
  }

  /**
   * Send a GET and resolve with the response (any status). A 401 drops cached credentials (an expired exec
   * token, a rotated token file) so that the next call fetches fresh ones.
   */
  async #openStream(path: string, query: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(this.#base + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    // A credential failure (KubeCredentialError) is classified by the caller, like every other failure.
    const opts = await this.#connection.requestOptions();
    const request = url.protocol === 'http:' ? http.request : https.request;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      let retried = false;
      const send = (): void => {
        const req = request(
          url,
          { method: 'GET', agent: opts.agent, signal, headers: { ...opts.headers, Accept: 'application/json', 'User-Agent': USER_AGENT } },
          resolve,
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive socket the server closed while idle fails at once: retry a GET once on a new one
          // (the pattern the node:http docs give for reusedSocket).
          if (!retried && req.reusedSocket && err.code === 'ECONNRESET' && !signal.aborted) {
            retried = true;
            send();
          } else {
            reject(err);
          }
        });
        req.end();
      };
      send();
    });
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
   * Watch pods from a resourceVersion until the server ends the stream (timeoutSeconds), the signal aborts
   * or nothing (not even a bookmark) arrives for `idleMs`. Resolves when the stream ends normally.
   */
  async watchPods(
    params: { namespace: string | null; labelSelector: string; resourceVersion: string; timeoutSeconds: number; idleMs: number },
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = params.namespace === null ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(params.namespace)}/pods`;
    const query = {
      watch: 'true',
      allowWatchBookmarks: 'true',
      labelSelector: params.labelSelector,
      resourceVersion: params.resourceVersion,
      timeoutSeconds: String(params.timeoutSeconds),
    };
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
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        let failed: Error | null = null;
        lines.on('line', (line) => {
          armIdle();
          if (line.trim() === '' || failed !== null) return;
          try {
            const parsed = watchLineSchema.parse(JSON.parse(line));
            onEvent({ type: parsed.type, object: parsed.object });
          } catch (err) {
            failed = err instanceof Error ? err : new Error('a watch line is not a {type, object} event');
            res.destroy();
          }
        });
        // readline re-emits its input's errors on the interface: both need a listener, or a dropped
        // connection becomes an uncaught exception.
        const onError = (err: Error): void => {
          failed ??= err;
        };
        res.on('error', onError);
        lines.on('error', onError);
        // readline closes on the input's 'end' only; an aborted or reset response ends with 'close' alone.
        let settled = false;
        const settle = (): void => {
          if (settled) return;
          settled = true;
          lines.close();
          if (failed !== null) reject(failed);
          else if (!res.complete) reject(new Error('the watch connection closed before the server ended it'));
          else resolve();
        };
        lines.on('close', settle);
        res.on('close', settle);
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
