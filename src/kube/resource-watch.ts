import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { KubeClient, ResourcePage, WatchedResource, WatchEvent } from './kube-client.js';
import { KubeCallError } from './kube-failure.js';
import { statusSchema } from './kube-objects.js';

/** What a watch reports: an object from the (re)list, or a change from the watch stream. */
export type WatchChange = 'SYNC' | 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ResourceWatchOptions<T extends { metadata: { uid: string | null } }> {
  client: KubeClient;
  resource: WatchedResource<T>;
  /** null: every namespace. */
  namespace: string | null;
  /** null: every object of the namespace. */
  labelSelector: string | null;
  onObject: (change: WatchChange, object: T) => void;
  /** Called after each full (re)list with the uids seen, so that callers can forget objects that are gone. */
  onSynced?: (uids: ReadonlySet<string>) => void;
  /** Told of each failure before the retry (a 403 here is missing RBAC). */
  onFailure?: (err: unknown) => void;
  /** The end of the warning logged when the watch fails: what is missing meanwhile and what to check. */
  failureHint: string;
  logger: Logger;
  /** Told when the watch is synced and streaming (true) and when it fails (false): the watch-up gauge. */
  onState?: (up: boolean) => void;
  /** Server-side watch timeout; the stream ends normally and resumes from the last resourceVersion. */
  timeoutSeconds?: number;
  /** Reconnect backoff after errors. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * A list-then-watch loop over one resource, like client-go's reflector: it lists (paged) to get a
 * resourceVersion, watches from there with bookmarks, resumes from the last resourceVersion when the stream
 * ends, relists on 410 Gone (history compacted) and retries other errors with capped exponential backoff.
 * It keeps no copy of the objects: callers keep what they need.
 */
export class ResourceWatch<T extends { metadata: { uid: string | null } }> {
  readonly #o: ResourceWatchOptions<T>;
  readonly #stop = new AbortController();
  #loop: Promise<void> | null = null;
  #resourceVersion: string | null = null;
  /** How many times the loop listed (first sync included): tests and diagnostics. */
  lists = 0;
  /** How many watch connections were opened. */
  connects = 0;

  constructor(options: ResourceWatchOptions<T>) {
    this.#o = options;
  }

  /** The resourceVersion the next watch resumes from (null: relist first). */
  get resourceVersion(): string | null {
    return this.#resourceVersion;
  }

  /** Start the loop in the background. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stop watching and wait for the loop to end. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #relist(signal: AbortSignal): Promise<string> {
    const uids = new Set<string>();
    let continueToken: string | null = null;
    let resourceVersion: string | null = null;
    do {
      const page: ResourcePage<T> = await this.#o.client.listPage(
        this.#o.resource,
        { namespace: this.#o.namespace, labelSelector: this.#o.labelSelector, continueToken },
        signal,
      );
      // Every page of one paged list shares the first page's resourceVersion.
      resourceVersion ??= page.resourceVersion;
      if (page.truncated) {
        this.#o.logger.warn(
          { cluster: this.#o.client.clusterId, namespace: this.#o.namespace ?? 'all namespaces' },
          `the API server sent more ${this.#o.resource.noun}s than the page size asked for (it or a proxy ignores \`limit\`); only the first page was read, so some are not watched until the next list`,
        );
      }
      for (const item of page.items) {
        if (item.metadata.uid !== null) uids.add(item.metadata.uid);
        this.#o.onObject('SYNC', item);
      }
      continueToken = page.continueToken;
    } while (continueToken !== null && !signal.aborted);
    this.lists += 1;
    this.#o.onSynced?.(uids);
    if (resourceVersion === null) throw new KubeCallError('invalid-response', `the ${this.#o.resource.noun} list has no resourceVersion to watch from`);
    return resourceVersion;
  }

  #handle(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = statusSchema.safeParse(event.object);
      const code = status.success ? status.data.code : null;
      const message = status.success ? (status.data.message ?? 'no message') : 'an ERROR event without a Status';
      if (code === 410) throw new KubeCallError('gone', message, { status: 410, reason: 'Expired' });
      throw new KubeCallError('server', message, { status: code, reason: status.success ? status.data.reason : null });
    }
    const rv = (event.object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      if (typeof rv === 'string' && rv !== '') this.#resourceVersion = rv;
      return;
    }
    const parsed = this.#o.resource.schema.safeParse(event.object);
    if (!parsed.success) {
      this.#o.logger.warn({ type: event.type }, `watch event without a readable ${this.#o.resource.noun}; skipped`);
      return;
    }
    this.#o.onObject(event.type, parsed.data);
    if (typeof rv === 'string' && rv !== '') this.#resourceVersion = rv;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const initial = this.#o.initialBackoffMs ?? 1_000;
    const max = this.#o.maxBackoffMs ?? 30_000;
    const timeoutSeconds = this.#o.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    let failures = 0;
    const where = this.#o.namespace ?? 'all namespaces';
    while (!signal.aborted) {
      try {
        this.#resourceVersion ??= await this.#relist(signal);
        this.#o.onState?.(true);
        this.connects += 1;
        const opened = Date.now();
        await this.#o.client.watch(
          this.#o.resource,
          {
            namespace: this.#o.namespace,
            labelSelector: this.#o.labelSelector,
            resourceVersion: this.#resourceVersion,
            timeoutSeconds,
            // A bookmark or event at least once per server timeout; silence beyond that means a dead connection.
            idleMs: (timeoutSeconds + 30) * 1_000,
          },
          (event) => this.#handle(event),
          signal,
        );
        failures = 0;
        // A stream that ends at once (a proxy that closes long requests) must not become a busy loop.
        if (Date.now() - opened < 1_000) await sleep(initial, undefined, { signal }).catch(() => undefined);
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof KubeCallError && err.kind === 'gone') {
          // The history we would resume from was compacted: list again, right away.
          this.#o.logger.info({ cluster: this.#o.client.clusterId, namespace: where }, `${this.#o.resource.noun} watch expired (410 Gone); listing again`);
          this.#resourceVersion = null;
          continue;
        }
        failures += 1;
        this.#o.onState?.(false);
        this.#o.onFailure?.(err);
        const delay = Math.min(max, initial * 2 ** Math.min(failures - 1, 16)) * (0.8 + Math.random() * 0.4);
        this.#o.logger.warn(
          { cluster: this.#o.client.clusterId, namespace: where, error: err instanceof Error ? err.message : String(err), retryInMs: Math.round(delay) },
          `${this.#o.resource.noun} watch failed; ${this.#o.failureHint}`,
        );
        try {
          await sleep(delay, undefined, { signal });
        } catch {
          // Aborted by stop(): the loop condition ends it.
        }
      }
    }
  }
}
