import { configSettingError, describeError } from '../errors.js';
import type { KubernetesConfig } from './enrich-config.js';
import { KubeClient } from '../kube/kube-client.js';
import { connectKubeconfig, loadKubeconfig, loadKubeconfigFromEnv } from '../kube/kubeconfig.js';
import type { KubeConnection } from '../kube/kubeconfig-connection.js';
import { inClusterConnection } from '../kube/kubeconfig-in-cluster.js';
import { defaultSource, ENRICHMENT_OFF_WARNING, IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from './kube-config-source.js';
import type { ArgoCdClusterSecrets } from './argocd-cluster-secrets.js';

export { IN_CLUSTER_NAME, IN_CLUSTER_SERVER };

/** A destination as the event carries it. */
export interface Destination {
  server: string | null;
  name: string | null;
}

export type ClusterResolution = { ok: true; client: KubeClient } | { ok: false; missing: string };

function normalizeServer(url: string): string {
  return url.trim().replace(/\/+$/, '');
}

function describeDestination(d: Destination): string {
  if (d.server !== null && d.name !== null) return `${d.server} (name ${d.name})`;
  return d.server ?? d.name ?? 'with no server and no name';
}

/**
 * Connect to the default cluster where defaultSource() found it: in-cluster, or KUBECONFIG (several files,
 * missing ones skipped) or ~/.kube/config, read from the env we were given (tests, embedding), not process.env.
 */
function connectDefault(source: 'in-cluster' | 'kubeconfig', env: NodeJS.ProcessEnv, context: string | undefined, where: string): KubeConnection {
  if (source === 'in-cluster') {
    if (context !== undefined) throw new Error(`context ${JSON.stringify(context)} is not in ${where} (it has: none): name a kubeconfig file for it`);
    return inClusterConnection({ env });
  }
  return connectKubeconfig(loadKubeconfigFromEnv(env), { context: context ?? null, where });
}

/**
 * Maps Application destinations to API clients (docs/design.md, "Public interface"): `in-cluster` goes to
 * the in-cluster config when running in a pod, else to KUBECONFIG's current context; other destinations to
 * the kubeconfig file and context configured under `kubernetes.clusters`.
 */
export class ClusterRegistry {
  readonly #defaultClient: KubeClient | null;
  readonly #defaultMissing: string;
  readonly #configured: { server: string | null; name: string | null; client: KubeClient }[];
  readonly #argoCd: ArgoCdClusterSecrets | null;

  private constructor(
    defaultClient: KubeClient | null,
    defaultMissing: string,
    configured: { server: string | null; name: string | null; client: KubeClient }[],
    argoCd: ArgoCdClusterSecrets | null,
  ) {
    this.#defaultClient = defaultClient;
    this.#defaultMissing = defaultMissing;
    this.#configured = configured;
    this.#argoCd = argoCd;
  }

  /**
   * Build from config. Returns null with a warning when enrichment is off (`enabled: false`, or `auto`
   * with no kubeconfig anywhere); throws a config error for a configured cluster that cannot be loaded
   * and for `enabled: true` without any cluster. `argoCdClusters` builds the reader of Argo CD's cluster
   * Secrets (`argocdClusterSecrets.enabled`) on the cluster the service runs in.
   */
  static fromConfig(
    config: KubernetesConfig,
    env: NodeJS.ProcessEnv = process.env,
    opts: { argoCdClusters?: (home: KubeClient) => ArgoCdClusterSecrets } = {},
  ): { registry: ClusterRegistry | null; warning: string | null } {
    if (config.enabled === 'false') return { registry: null, warning: null };
    const callTimeoutMs = config.bounds.callTimeoutMs;
    const configured = config.clusters.map((c, i) => {
      const path = `kubernetes.clusters.${i}`;
      let connection: KubeConnection;
      try {
        if (c.kubeconfig !== undefined) {
          connection = connectKubeconfig(loadKubeconfig([c.kubeconfig], { skipMissing: false }), { context: c.context ?? null, where: c.kubeconfig });
        } else {
          const source = defaultSource(env);
          if (source === null) throw new Error('no kubeconfig file given and none found (KUBECONFIG, ~/.kube/config): set `kubeconfig`');
          connection = connectDefault(source, env, c.context, 'the default kubeconfig');
        }
      } catch (err) {
        throw configSettingError(path, `cannot load the kubeconfig for ${c.server ?? c.name ?? 'this cluster'}: ${describeError(err)}`);
      }
      const id = c.server !== undefined ? normalizeServer(c.server) : (c.name ?? `cluster-${i}`);
      return { server: c.server === undefined ? null : normalizeServer(c.server), name: c.name ?? null, client: new KubeClient(id, connection, { callTimeoutMs }) };
    });

    const source = defaultSource(env);
    let defaultClient: KubeClient | null = null;
    let defaultMissing = `cluster ${IN_CLUSTER_SERVER} (in-cluster) is not reachable: the service runs outside a pod and found no kubeconfig (KUBECONFIG, ~/.kube/config); set KUBECONFIG or add it under kubernetes.clusters`;
    let warning: string | null = null;
    if (source !== null) {
      try {
        const connection = connectDefault(source, env, undefined, source === 'in-cluster' ? 'the in-cluster config' : 'KUBECONFIG');
        defaultClient = new KubeClient(IN_CLUSTER_NAME, connection, { callTimeoutMs });
      } catch (err) {
        if (config.enabled === 'true' && configured.length === 0) {
          throw configSettingError('kubernetes.enabled', `true, but the ${source} config cannot be loaded: ${describeError(err)}`);
        }
        defaultMissing = `cluster ${IN_CLUSTER_SERVER} (in-cluster): the ${source} config cannot be loaded: ${describeError(err)}`;
        warning = `Kubernetes: ${defaultMissing}`;
      }
    }
    if (defaultClient === null && configured.length === 0) {
      if (config.enabled === 'true') {
        throw configSettingError('kubernetes.enabled', 'true, but there is no in-cluster config, no kubeconfig (KUBECONFIG, ~/.kube/config) and no kubernetes.clusters');
      }
      return {
        registry: null,
        warning: warning ?? ENRICHMENT_OFF_WARNING,
      };
    }
    let argoCd: ArgoCdClusterSecrets | null = null;
    if (config.argocdClusterSecrets.enabled && opts.argoCdClusters !== undefined) {
      if (defaultClient === null) {
        throw configSettingError(
          'kubernetes.argocdClusterSecrets.enabled',
          `true, but Argo CD's cluster Secrets are read in the cluster the service runs in, and it has none (${defaultMissing})`,
        );
      }
      argoCd = opts.argoCdClusters(defaultClient);
    }
    return { registry: new ClusterRegistry(defaultClient, defaultMissing, configured, argoCd), warning };
  }

  /** Build from ready clients (tests, embedding). */
  static of(
    defaultClient: KubeClient | null,
    configured: { server?: string; name?: string; client: KubeClient }[] = [],
    argoCd: ArgoCdClusterSecrets | null = null,
  ): ClusterRegistry {
    return new ClusterRegistry(
      defaultClient,
      `cluster ${IN_CLUSTER_SERVER} (in-cluster) is not configured`,
      configured.map((c) => ({ server: c.server === undefined ? null : normalizeServer(c.server), name: c.name ?? null, client: c.client })),
      argoCd,
    );
  }

  /** The reader of Argo CD's cluster Secrets, when they are used. */
  argoCdClusters(): ArgoCdClusterSecrets | null {
    return this.#argoCd;
  }

  /**
   * resolve(), reading Argo CD's cluster Secrets again first when the destination is not found among
   * those last read (a cluster added since), at most every few seconds.
   */
  async lookup(destination: Destination): Promise<ClusterResolution> {
    const first = this.resolve(destination);
    if (first.ok || this.#argoCd === null) return first;
    await this.#argoCd.refreshAfterMiss();
    return this.resolve(destination);
  }

  /** The client for an Application destination, or the sentence that says why there is none. */
  resolve(destination: Destination): ClusterResolution {
    const server = destination.server === null ? null : normalizeServer(destination.server);
    const match =
      this.#configured.find((c) => server !== null && c.server === server) ??
      this.#configured.find((c) => destination.name !== null && c.name === destination.name);
    if (match !== undefined) return { ok: true, client: match.client };
    const argoCd = server === IN_CLUSTER_SERVER || destination.name === IN_CLUSTER_NAME ? null : (this.#argoCd?.find(server, destination.name) ?? null);
    if (argoCd?.kind === 'client') return { ok: true, client: argoCd.client };
    if (argoCd?.kind === 'unusable') return { ok: false, missing: argoCd.missing };
    if (server === IN_CLUSTER_SERVER || destination.name === IN_CLUSTER_NAME || argoCd?.kind === 'in-cluster') {
      return this.#defaultClient === null ? { ok: false, missing: this.#defaultMissing } : { ok: true, client: this.#defaultClient };
    }
    const key = server !== null ? `server: ${server}` : `name: ${destination.name ?? '?'}`;
    const argoCdMiss = this.#argoCd === null ? '' : `; ${this.#argoCd.describeMiss()}`;
    return {
      ok: false,
      missing: `cluster ${describeDestination(destination)} is not configured: add it under kubernetes.clusters (${key}, kubeconfig: <file>, context: <name>) so that alerts of apps deployed there show Job, pod and log details${argoCdMiss}`,
    };
  }

  /** The cluster the service runs in (in-cluster, else KUBECONFIG's current context), or null. */
  home(): KubeClient | null {
    return this.#defaultClient;
  }

  /** Every reachable cluster once (the capture and stuck-hook watchers run per cluster). */
  clients(): KubeClient[] {
    const all = [...(this.#defaultClient === null ? [] : [this.#defaultClient]), ...this.#configured.map((c) => c.client)];
    return [...new Set(all)];
  }
}
