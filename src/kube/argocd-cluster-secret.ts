import { z } from 'zod';
import { describeError } from '../errors.js';
import type { KubeSecret } from './kube-objects.js';
import { connectKubeconfig, kubeconfigFromDocument, type ConnectOptions } from './kubeconfig.js';
import type { KubeConnection } from './kubeconfig-connection.js';

/**
 * Argo CD's cluster Secrets (declarative setup: a Secret labelled `argocd.argoproj.io/secret-type: cluster`
 * in Argo CD's namespace) read as Argo CD reads them: util/db/cluster.go SecretToCluster for the keys, and
 * pkg/apis/application/v1alpha1/types.go ClusterConfig and Cluster.RawRestConfig for the `config` JSON and
 * how it becomes a client (checked against argo-cd 3.6.0-dev, commit 37ee009). The config is turned into
 * an in-memory kubeconfig, so that trust, credentials, exec plugins and proxies go through the same checks
 * and code as a kubeconfig file.
 */

/** The label selector of Argo CD's cluster Secrets. */
export const ARGOCD_CLUSTER_SECRET_SELECTOR = 'argocd.argoproj.io/secret-type=cluster';

/** What Argo CD runs for `awsAuthConfig` (RawRestConfig): its own binary, which asks AWS STS for an EKS token. */
const ARGOCD_K8S_AUTH = 'argocd-k8s-auth';

const optString = z
  .string()
  .nullish()
  .transform((v) => (v === undefined || v === null || v === '' ? null : v));

/** ClusterConfig's JSON: []byte fields (certData, keyData, caData) are base64, as Go's encoding/json writes them. */
const clusterConfigSchema = z.looseObject({
  username: optString,
  password: optString,
  bearerToken: optString,
  tlsClientConfig: z
    .looseObject({
      insecure: z.boolean().nullish().transform((v) => v === true),
      serverName: optString,
      certData: optString,
      keyData: optString,
      caData: optString,
    })
    .nullish()
    .transform((v) => v ?? { insecure: false, serverName: null, certData: null, keyData: null, caData: null }),
  awsAuthConfig: z
    .looseObject({ clusterName: optString, roleARN: optString, profile: optString })
    .nullish()
    .transform((v) => v ?? null),
  execProviderConfig: z
    .looseObject({
      command: optString,
      args: z.array(z.string()).nullish().transform((v) => v ?? []),
      env: z.record(z.string(), z.string()).nullish().transform((v) => v ?? {}),
      apiVersion: optString,
      installHint: optString,
      provideClusterInfo: z.boolean().nullish().transform((v) => v === true),
      config: z.unknown().optional(),
    })
    .nullish()
    .transform((v) => v ?? null),
  proxyUrl: optString,
});
type ClusterConfig = z.infer<typeof clusterConfigSchema>;

/** The keys of a cluster Secret this service uses, decoded. */
export interface ArgoCdClusterEntry {
  /** `namespace/name` of the Secret, for messages. */
  secret: string;
  /** The API server URL, without trailing slashes (as Argo CD trims it). */
  server: string;
  /** The cluster's name in Argo CD (`spec.destination.name`), or null when the Secret has none. */
  name: string | null;
  /** The Secret's resourceVersion: a new one means the Secret changed. */
  version: string;
}

function decode(secret: KubeSecret, key: string): string | null {
  const value = secret.data[key];
  if (value === undefined) return null;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return text === '' ? null : text;
}

/** The Secret's server, name and version; throws when it has no server (Argo CD cannot use it either). */
export function argoCdClusterEntry(secret: KubeSecret): ArgoCdClusterEntry {
  const where = `Secret ${secret.metadata.namespace ?? '?'}/${secret.metadata.name}`;
  const server = decode(secret, 'server')?.trim().replace(/\/+$/, '') ?? '';
  if (server === '') throw new Error(`${where} has no \`server\` key: Argo CD needs the API server URL there`);
  return { secret: where, server, name: decode(secret, 'name'), version: secret.metadata.resourceVersion ?? '' };
}

/** The kubeconfig user for a ClusterConfig, with Argo CD's precedence: awsAuthConfig, else execProviderConfig, else token or basic auth. */
function userOf(config: ClusterConfig, where: string): Record<string, unknown> {
  const tls = config.tlsClientConfig;
  const certs = { 'client-certificate-data': tls.certData, 'client-key-data': tls.keyData };
  const aws = config.awsAuthConfig;
  if (aws !== null) {
    if (aws.clusterName === null) throw new Error(`${where}: awsAuthConfig has no clusterName: set the EKS cluster name`);
    const args = ['aws', '--cluster-name', aws.clusterName];
    if (aws.roleARN !== null) args.push('--role-arn', aws.roleARN);
    if (aws.profile !== null) args.push('--profile', aws.profile);
    return {
      ...certs,
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        command: ARGOCD_K8S_AUTH,
        args,
        interactiveMode: 'Never',
        installHint: `awsAuthConfig runs Argo CD's own ${ARGOCD_K8S_AUTH} (from the quay.io/argoproj/argocd image) with AWS credentials (IRSA or EKS Pod Identity): put it on this service's PATH, or give the cluster Secret an execProviderConfig that runs \`aws eks get-token --cluster-name ${aws.clusterName}\` from an image that has the AWS CLI`,
      },
    };
  }
  const exec = config.execProviderConfig;
  if (exec !== null) {
    return {
      ...certs,
      exec: {
        apiVersion: exec.apiVersion,
        command: exec.command,
        args: exec.args,
        env: Object.entries(exec.env).map(([name, value]) => ({ name, value })),
        installHint: exec.installHint,
        provideClusterInfo: exec.provideClusterInfo,
        interactiveMode: 'Never',
      },
    };
  }
  return { ...certs, token: config.bearerToken, username: config.username, password: config.password };
}

/**
 * The connection to a cluster Secret's API server. Throws with the Secret named and the fix when its
 * config is not JSON, or is refused the way a kubeconfig would be (a CA with `insecure`, a token and a
 * password together, an exec plugin without apiVersion); never quotes a credential.
 */
export function argoCdClusterConnection(secret: KubeSecret, entry: ArgoCdClusterEntry, opts: ConnectOptions): KubeConnection {
  const where = entry.secret;
  let json: unknown = {};
  const raw = decode(secret, 'config');
  if (raw !== null) {
    try {
      json = JSON.parse(raw);
    } catch {
      // The parser's message quotes the text, which holds credentials: say only what is wrong.
      throw new Error(`${where}: the \`config\` key is not JSON: it must hold Argo CD's cluster config ({"bearerToken": …, "tlsClientConfig": {…}})`);
    }
  }
  const parsed = clusterConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`${where}: the \`config\` key is not an Argo CD cluster config: ${issues.slice(0, 3).join('; ')}`);
  }
  const config = parsed.data;
  const tls = config.tlsClientConfig;
  const execConfig = config.execProviderConfig?.config;
  const doc = {
    clusters: [
      {
        name: where,
        cluster: {
          server: entry.server,
          'certificate-authority-data': tls.caData,
          'insecure-skip-tls-verify': tls.insecure,
          'tls-server-name': tls.serverName,
          'proxy-url': config.proxyUrl,
          extensions: execConfig === undefined || execConfig === null ? [] : [{ name: 'client.authentication.k8s.io/exec', extension: execConfig }],
        },
      },
    ],
    users: [{ name: where, user: userOf(config, where) }],
    contexts: [{ name: where, context: { cluster: where, user: where } }],
    'current-context': where,
  };
  try {
    return connectKubeconfig(kubeconfigFromDocument(doc, where), { ...opts, where });
  } catch (err) {
    const message = describeError(err);
    throw new Error(message.includes(where) ? message : `${where}: ${message}`);
  }
}
