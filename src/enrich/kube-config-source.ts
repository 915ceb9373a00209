import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubernetesConfig } from './enrich-config.js';

/** Argo CD's names for the cluster it runs in (Application spec.destination). */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export const IN_CLUSTER_NAME = 'in-cluster';

/** The warning when `kubernetes.enabled: auto` finds no cluster to read. */
export const ENRICHMENT_OFF_WARNING =
  'Kubernetes enrichment is off: no in-cluster config and no kubeconfig (KUBECONFIG, ~/.kube/config); alerts go out without Job, pod and log details. Set kubernetes.enabled: false to silence this warning.';

/** Where the default cluster's config comes from: in-cluster, a kubeconfig file, or nowhere. */
export function defaultSource(env: NodeJS.ProcessEnv): 'in-cluster' | 'kubeconfig' | null {
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_HOST !== '') return 'in-cluster';
  const files = (env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '');
  if (files.length > 0) return 'kubeconfig';
  const home = env.HOME ?? homedir();
  return existsSync(join(home, '.kube', 'config')) ? 'kubeconfig' : null;
}

/**
 * Whether enrichment can run at all, decided before any kubeconfig is read or the enrichment modules are
 * loaded: off when disabled, or on `auto` with no cluster configured and none found.
 */
export function enrichmentMayRun(config: KubernetesConfig, env: NodeJS.ProcessEnv): boolean {
  if (config.enabled === 'false') return false;
  return config.enabled === 'true' || config.clusters.length > 0 || defaultSource(env) !== null;
}
