import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { connectKubeconfig, loadKubeconfig, type ConnectOptions } from '../../src/kube/kubeconfig.js';
import type { KubeConnection } from '../../src/kube/kubeconfig-connection.js';

/**
 * Kubeconfig files for tests: written as YAML from plain objects in the shape kubectl writes them, and the
 * test-only TLS material of test/fixtures/kubeconfig-tls (see its README).
 */

/** The directory of the committed TLS fixtures. */
export const TLS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'kubeconfig-tls');

/** PEM text of one fixture file (ca.crt, server.crt, server.key, client.crt, client.key). */
export function tlsPem(file: string): string {
  return readFileSync(join(TLS_DIR, file), 'utf8');
}

/** What kubeconfig `-data` fields hold: the PEM, base64-encoded. */
export function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

/** One kubeconfig file's content. */
export interface KubeconfigDoc {
  'current-context'?: string;
  clusters?: { name: string; cluster: Record<string, unknown> | null }[];
  users?: { name: string; user: Record<string, unknown> | null }[];
  contexts?: { name: string; context: Record<string, unknown> | null }[];
}

/**
 * A kubeconfig with one context (default "test") whose cluster and user have the context's name; no user
 * entry when `user` is null.
 */
export function oneContext(cluster: Record<string, unknown>, user: Record<string, unknown> | null, name = 'test'): KubeconfigDoc {
  return {
    'current-context': name,
    clusters: [{ name, cluster }],
    users: user === null ? [] : [{ name, user }],
    contexts: [{ name, context: user === null ? { cluster: name } : { cluster: name, user: name } }],
  };
}

/** Write a kubeconfig file (YAML, with kubectl's apiVersion and kind) and return its path. */
export function writeKubeconfigFile(dir: string, doc: KubeconfigDoc, file = 'config'): string {
  const path = join(dir, file);
  writeFileSync(path, stringify({ apiVersion: 'v1', kind: 'Config', ...doc }));
  return path;
}

/** Write, load and connect a kubeconfig file the way ClusterRegistry does for a configured cluster. */
export function connectFile(dir: string, doc: KubeconfigDoc, opts: ConnectOptions & { context?: string } = {}): KubeConnection {
  const path = writeKubeconfigFile(dir, doc);
  return connectKubeconfig(loadKubeconfig([path], { skipMissing: false }), { ...opts, context: opts.context ?? null, where: path });
}
