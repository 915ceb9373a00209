import { z } from 'zod';

/**
 * The parts of a kubeconfig file (clientcmd/api/v1) this service reads, as zod schemas. Objects are loose:
 * fields we do not use (preferences, extensions, fields of newer kubectl versions) are kept, not rejected,
 * because kubectl accepts them too.
 */

/**
 * A scalar read as text. YAML turns `token: 123456` or `name: 1` into numbers; sigs.k8s.io/yaml (kubectl)
 * converts them back to the string its Go struct expects, so we do the same. Go's zero value "" means unset.
 */
const text = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const optText = text.nullish().transform((v) => (v === undefined || v === null || v === '' ? null : v));
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .nullish()
  .transform((v) => v === true || v === 'true');
const textList = z
  .array(text)
  .nullish()
  .transform((v) => v ?? []);

/** users[].user.exec: a client-go credential plugin. */
const execConfigSchema = z.looseObject({
  apiVersion: optText,
  command: optText,
  args: textList,
  env: z
    .array(z.object({ name: text, value: text }))
    .nullish()
    .transform((v) => v ?? []),
  installHint: optText,
  provideClusterInfo: flag,
  interactiveMode: optText,
});
export type ExecConfig = z.infer<typeof execConfigSchema>;

/** users[].user: credentials and impersonation. */
const userSchema = z.looseObject({
  token: optText,
  tokenFile: optText,
  'client-certificate': optText,
  'client-certificate-data': optText,
  'client-key': optText,
  'client-key-data': optText,
  username: optText,
  password: optText,
  as: optText,
  'as-uid': optText,
  'as-groups': textList,
  'as-user-extra': z
    .record(z.string(), z.array(text))
    .nullish()
    .transform((v) => v ?? {}),
  exec: execConfigSchema.nullish().transform((v) => v ?? null),
  'auth-provider': z
    .looseObject({ name: optText })
    .nullish()
    .transform((v) => v ?? null),
});
export type KubeconfigUser = z.infer<typeof userSchema>;

/** clusters[].cluster: where the API server is and how to trust it. */
const clusterSchema = z.looseObject({
  server: optText,
  'certificate-authority': optText,
  'certificate-authority-data': optText,
  'insecure-skip-tls-verify': flag,
  'tls-server-name': optText,
  'proxy-url': optText,
  extensions: z
    .array(z.looseObject({ name: text, extension: z.unknown() }))
    .nullish()
    .transform((v) => v ?? []),
});
export type KubeconfigCluster = z.infer<typeof clusterSchema>;

/** contexts[].context: a cluster and a user. */
const contextSchema = z.looseObject({ cluster: optText, user: optText, namespace: optText });
export type KubeconfigContext = z.infer<typeof contextSchema>;

/** A `null` entry (`user: null`, or `user:` with nothing after it) is an empty one, as in Go. */
const emptyIfNull = (v: unknown): unknown => v ?? {};
const orEmptyList = <T>(v: T[] | null | undefined): T[] => v ?? [];

/** One kubeconfig file. */
export const kubeconfigFileSchema = z.looseObject({
  'current-context': optText,
  clusters: z
    .array(z.looseObject({ name: text, cluster: z.preprocess(emptyIfNull, clusterSchema) }))
    .nullish()
    .transform(orEmptyList),
  users: z
    .array(z.looseObject({ name: text, user: z.preprocess(emptyIfNull, userSchema) }))
    .nullish()
    .transform(orEmptyList),
  contexts: z
    .array(z.looseObject({ name: text, context: z.preprocess(emptyIfNull, contextSchema) }))
    .nullish()
    .transform(orEmptyList),
});
export type KubeconfigFile = z.infer<typeof kubeconfigFileSchema>;

/** What an exec plugin prints on stdout (client.authentication.k8s.io v1 and v1beta1 have the same shape). */
export const execCredentialSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.literal('ExecCredential'),
  status: z
    .looseObject({
      token: optText,
      clientCertificateData: optText,
      clientKeyData: optText,
      expirationTimestamp: optText,
    })
    .nullish()
    .transform((v) => v ?? null),
});
