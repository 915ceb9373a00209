import type { Logger } from 'pino';
import { describeError } from '../errors.js';
import { argoCdClusterConnection, argoCdClusterEntry, ARGOCD_CLUSTER_SECRET_SELECTOR, type ArgoCdClusterEntry } from '../kube/argocd-cluster-secret.js';
import { KubeClient } from '../kube/kube-client.js';
import type { KubeSecret } from '../kube/kube-objects.js';
import type { ConnectOptions } from '../kube/kubeconfig.js';
import type { KubeConnection } from '../kube/kubeconfig-connection.js';
import type { ArgoCdClusterSecretsConfig } from './enrich-config.js';
import { IN_CLUSTER_SERVER } from './kube-config-source.js';

/** Cluster Secrets read at most; Argo CD installs with more clusters than this are rare. */
const MAX_CLUSTER_SECRETS = 1000;
/** A destination that is not found reads the Secrets again, but not more often than this. */
const MISS_REFRESH_MS = 5_000;

/** One cluster Secret as last read: its client, or why it cannot be used. */
interface Known {
  entry: ArgoCdClusterEntry;
  client: KubeClient | null;
  connection: KubeConnection | null;
  problem: string | null;
}

/** What a destination matched among Argo CD's clusters. */
export type ArgoCdClusterMatch = { kind: 'client'; client: KubeClient } | { kind: 'in-cluster' } | { kind: 'unusable'; missing: string };

/**
 * Argo CD's cluster Secrets, read from the cluster the service runs in and turned into clients
 * (docs/argocd-clusters.md). Read at start, again every `resyncSeconds`, and when a destination is not
 * found; a changed Secret (new resourceVersion) gets a new client, a deleted one is dropped. A read that
 * fails keeps the clusters of the last good one.
 */
export class ArgoCdClusterSecrets {
  readonly #home: KubeClient;
  readonly #config: ArgoCdClusterSecretsConfig;
  readonly #callTimeoutMs: number;
  readonly #connect: ConnectOptions;
  readonly #logger: Logger | null;
  readonly #onClient: (client: KubeClient) => void;
  readonly #now: () => number;
  #known = new Map<string, Known>();
  /** Connections of replaced or deleted Secrets: calls in flight may still use them, so they close on stop(). */
  #retired: KubeConnection[] = [];
  #readAt: number | null = null;
  /** When the last read began, good or not: a destination not found reads again only after MISS_REFRESH_MS. */
  #triedAt: number | null = null;
  #readProblem: string | null = null;
  #reading: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #abort = new AbortController();

  constructor(opts: {
    home: KubeClient;
    config: ArgoCdClusterSecretsConfig;
    callTimeoutMs: number;
    connect?: ConnectOptions;
    logger?: Logger;
    /** Called once per new client (metrics observe its failures). */
    onClient?: (client: KubeClient) => void;
    now?: () => number;
  }) {
    this.#home = opts.home;
    this.#config = opts.config;
    this.#callTimeoutMs = opts.callTimeoutMs;
    this.#connect = opts.connect ?? {};
    this.#logger = opts.logger ?? null;
    this.#onClient = opts.onClient ?? (() => undefined);
    this.#now = opts.now ?? Date.now;
  }

  /** Read the Secrets now and then every `resyncSeconds`, until stop(). */
  start(): void {
    if (this.#timer !== null) return;
    const tick = (): void => {
      void this.refresh().finally(() => {
        if (this.#abort.signal.aborted) return;
        this.#timer = setTimeout(tick, this.#config.resyncSeconds * 1000);
        this.#timer.unref();
      });
    };
    this.#timer = setTimeout(tick, 0);
    this.#timer.unref();
  }

  /** Stop reading and close every connection this made. */
  stop(): void {
    this.#abort.abort();
    if (this.#timer !== null) clearTimeout(this.#timer);
    for (const k of this.#known.values()) k.connection?.close();
    for (const c of this.#retired) c.close();
    this.#retired = [];
  }

  /** Read the Secrets (one read at a time: callers during a read wait for it). Never throws: a failure is logged and kept for messages. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => {
      this.#reading = null;
    });
    return this.#reading;
  }

  /** Read again when never read, or when the last read is older than the miss interval (a destination was not found). */
  async refreshAfterMiss(): Promise<void> {
    if (this.#triedAt !== null && this.#now() - this.#triedAt < MISS_REFRESH_MS) {
      await this.#reading;
      return;
    }
    await this.refresh();
  }

  /** The cluster a destination names (server first, then name, as Argo CD matches), or null. */
  find(server: string | null, name: string | null): ArgoCdClusterMatch | null {
    const all = [...this.#known.values()];
    const known = all.find((k) => server !== null && k.entry.server === server) ?? all.find((k) => name !== null && k.entry.name === name);
    if (known === undefined) return null;
    if (known.client !== null) return { kind: 'client', client: known.client };
    if (known.problem !== null) return { kind: 'unusable', missing: `Argo CD's cluster ${known.entry.secret} cannot be used: ${known.problem}` };
    return { kind: 'in-cluster' };
  }

  /** Why a destination is not among them, for the alert: what was read, or why reading failed. */
  describeMiss(): string {
    const where = `namespace ${this.#config.namespace}`;
    if (this.#readProblem !== null) return `Argo CD's cluster Secrets in ${where} could not be read: ${this.#readProblem}`;
    if (this.#readAt === null) return `Argo CD's cluster Secrets in ${where} have not been read yet`;
    const how = this.#config.names.length > 0 ? `the ${this.#config.names.length} named in kubernetes.argocdClusterSecrets.names` : `the ${this.#known.size} labelled ${ARGOCD_CLUSTER_SECRET_SELECTOR}`;
    return `it is not among Argo CD's cluster Secrets in ${where} (${how})`;
  }

  async #secrets(signal: AbortSignal): Promise<KubeSecret[]> {
    const ns = this.#config.namespace;
    if (this.#config.names.length === 0) {
      const list = await this.#home.listSecrets(ns, ARGOCD_CLUSTER_SECRET_SELECTOR, MAX_CLUSTER_SECRETS, signal);
      if (list.truncated) this.#logger?.warn(`Argo CD cluster Secrets: more than ${MAX_CLUSTER_SECRETS} in namespace ${ns}; the first ${MAX_CLUSTER_SECRETS} are used`);
      return list.items;
    }
    const found: KubeSecret[] = [];
    for (const name of this.#config.names) {
      const secret = await this.#home.readSecret(ns, name, signal);
      if (secret === null) this.#logger?.warn(`Argo CD cluster Secret ${ns}/${name} (kubernetes.argocdClusterSecrets.names) does not exist: remove it from the list or fix its name`);
      else found.push(secret);
    }
    return found;
  }

  async #read(): Promise<void> {
    this.#triedAt = this.#now();
    let secrets: KubeSecret[];
    try {
      secrets = await this.#secrets(this.#abort.signal);
    } catch (err) {
      if (this.#abort.signal.aborted) return;
      const verb = this.#config.names.length === 0 ? 'list' : 'get';
      const problem = `${describeError(err)} (the service account needs ${verb} on secrets in namespace ${this.#config.namespace}: deploy/components/argocd-cluster-secrets)`;
      if (problem !== this.#readProblem) this.#logger?.warn(`Argo CD cluster Secrets: ${problem}; the clusters of the last good read are kept`);
      this.#readProblem = problem;
      return;
    }
    this.#readProblem = null;
    this.#readAt = this.#now();
    const next = new Map<string, Known>();
    for (const secret of secrets) {
      const key = secret.metadata.name;
      const before = this.#known.get(key);
      if (before !== undefined && before.entry.version === (secret.metadata.resourceVersion ?? '') && before.entry.version !== '') {
        next.set(key, before);
        continue;
      }
      next.set(key, this.#build(secret));
    }
    for (const [key, old] of this.#known) {
      if (next.get(key) !== old && old.connection !== null) this.#retired.push(old.connection);
    }
    this.#known = next;
  }

  #build(secret: KubeSecret): Known {
    let entry: ArgoCdClusterEntry;
    try {
      entry = argoCdClusterEntry(secret);
    } catch (err) {
      this.#logger?.warn(`Argo CD cluster Secrets: ${describeError(err)}; it is skipped`);
      return { entry: { secret: secret.metadata.name, server: '', name: null, version: secret.metadata.resourceVersion ?? '' }, client: null, connection: null, problem: describeError(err) };
    }
    // The cluster the service runs in is reached with its own service account, whatever Argo CD's Secret holds for it.
    if (entry.server === IN_CLUSTER_SERVER) return { entry, client: null, connection: null, problem: null };
    try {
      const connection = argoCdClusterConnection(secret, entry, this.#connect);
      const client = new KubeClient(entry.server, connection, { callTimeoutMs: this.#callTimeoutMs });
      this.#onClient(client);
      this.#logger?.info({ cluster: entry.server, name: entry.name, secret: entry.secret }, 'Argo CD cluster Secret read');
      return { entry, client, connection, problem: null };
    } catch (err) {
      const problem = describeError(err);
      this.#logger?.warn(`Argo CD cluster Secrets: ${problem}; alerts of apps deployed to ${entry.server} go out without cluster details until it is fixed`);
      return { entry, client: null, connection: null, problem };
    }
  }
}
