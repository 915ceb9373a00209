import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import { KubeConnection, TokenFileSource } from './kubeconfig-connection.js';

/** Where the kubelet mounts the pod's service account token and the cluster CA. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The API server as seen from inside a pod (client-go rest.InClusterConfig): the address from
 * KUBERNETES_SERVICE_HOST/PORT, the service account's CA, and its token, re-read every minute because
 * bound service account tokens rotate (the kubelet renews them at 80 % of their lifetime).
 */
export function inClusterConnection(opts: { env: NodeJS.ProcessEnv; root?: string; now?: () => number }): KubeConnection {
  const host = opts.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = opts.env.KUBERNETES_SERVICE_PORT ?? '';
  if (host === '' || port === '') {
    throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must both be set (the kubelet sets them in every pod): run in a pod or use a kubeconfig');
  }
  const root = opts.root ?? SERVICE_ACCOUNT_DIR;
  const caPath = join(root, 'ca.crt');
  let ca: string;
  try {
    ca = readFileSync(caPath, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the service account CA ${caPath}: ${describeError(err)}; mount the service account token (automountServiceAccountToken: true)`);
  }
  const credentials = new TokenFileSource(join(root, 'token'), {
    base: { authorization: null, cert: null, key: null },
    now: opts.now ?? Date.now,
    what: 'the service account token',
  });
  // An IPv6 address needs brackets in a URL ("fd00::1" → "[fd00::1]").
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new KubeConnection(server, { trust: { ca, rejectUnauthorized: true, servername: null }, credentials });
}

/** The namespace the pod runs in, as its service account mount says, or null outside a pod. */
export function serviceAccountNamespace(root = SERVICE_ACCOUNT_DIR): string | null {
  try {
    const text = readFileSync(join(root, 'namespace'), 'utf8').trim();
    return text === '' ? null : text;
  } catch {
    // Not in a pod (or no token mounted): the caller asks for the namespace in the config instead.
    return null;
  }
}
