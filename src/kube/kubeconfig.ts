import { readFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { describeError } from '../errors.js';
import { ExecCredentialSource } from './kubeconfig-exec.js';
import { fixedCredentials, KubeConnection, parseProxyUrl, TokenFileSource, type CredentialSource, type Credentials } from './kubeconfig-connection.js';
import {
  kubeconfigFileSchema,
  type KubeconfigCluster,
  type KubeconfigContext,
  type KubeconfigFile,
  type KubeconfigUser,
} from './kubeconfig-schema.js';

/**
 * Kubeconfig loading as kubectl (client-go tools/clientcmd) does it, for the fields this service needs:
 * several files merged (the first file that names a cluster, user or context wins, and the first
 * current-context set wins), paths inside a file relative to that file, and a context turned into a
 * KubeConnection. Errors name the file, the entry and the fix; they never quote a credential.
 */

/** Several kubeconfig files merged into one view. */
export interface Kubeconfig {
  /** The files that were read, in order (for messages). */
  files: string[];
  currentContext: string | null;
  clusters: Map<string, KubeconfigCluster>;
  users: Map<string, KubeconfigUser>;
  contexts: Map<string, KubeconfigContext>;
}

/** What a connection needs besides the kubeconfig (tests inject a clock and a short plugin time limit). */
export interface ConnectOptions {
  /** Environment of exec plugins (they inherit ours, as with kubectl); default process.env. */
  processEnv?: NodeJS.ProcessEnv;
  now?: () => number;
  execTimeoutMs?: number;
}

/** The files KUBECONFIG names (deduplicated, as client-go does), or ~/.kube/config when it is unset. */
export function kubeconfigPaths(env: NodeJS.ProcessEnv): { files: string[]; fromEnv: boolean } {
  const files = [...new Set((env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== ''))];
  if (files.length > 0) return { files, fromEnv: true };
  return { files: [join(env.HOME ?? homedir(), '.kube', 'config')], fromEnv: false };
}

function lineAndColumn(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const lineStart = before.lastIndexOf('\n') + 1;
  return `line ${before.split('\n').length}, column ${pos - lineStart + 1}`;
}

/**
 * Where a YAML error is, by the parser's code and position only: its messages quote the source ("Invalid
 * escape sequence \q", "Unexpected } in flow map", an alias or tag name), and the source may hold a token.
 */
function yamlProblem(err: unknown, text: string): string {
  const e = err as { code?: unknown; pos?: unknown };
  const pos = Array.isArray(e.pos) && typeof e.pos[0] === 'number' ? e.pos[0] : null;
  const code = typeof e.code === 'string' ? e.code : 'YAML error';
  return `${code}${pos === null ? '' : ` at ${lineAndColumn(text, pos)}`}`;
}

function resolveIn(dir: string, path: string | null): string | null {
  return path === null || isAbsolute(path) ? path : resolve(dir, path);
}

/** kubectl's ResolveLocalPaths: file references are relative to the kubeconfig that holds them. */
function resolvePaths(file: KubeconfigFile, dir: string): KubeconfigFile {
  return {
    ...file,
    clusters: file.clusters.map((c) => ({
      ...c,
      cluster: { ...c.cluster, 'certificate-authority': resolveIn(dir, c.cluster['certificate-authority']) },
    })),
    users: file.users.map((u) => {
      const exec = u.user.exec;
      return {
        ...u,
        user: {
          ...u.user,
          'client-certificate': resolveIn(dir, u.user['client-certificate']),
          'client-key': resolveIn(dir, u.user['client-key']),
          tokenFile: resolveIn(dir, u.user.tokenFile),
          // A bare command name is looked up on PATH; only a path (with a separator) is relative to the file.
          exec: exec === null || exec.command === null || !exec.command.includes(sep) ? exec : { ...exec, command: resolveIn(dir, exec.command) },
        },
      };
    }),
  };
}

function readKubeconfigFile(path: string, skipMissing: boolean): KubeconfigFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (skipMissing && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${path}: ${describeError(err)}`);
  }
  let doc: unknown;
  try {
    // logLevel 'error': the parser's warnings (an unknown tag) would go to stderr quoting the file.
    doc = parse(text, { prettyErrors: false, logLevel: 'error' });
  } catch (err) {
    throw new Error(`${path} is not valid YAML: ${yamlProblem(err, text)}`);
  }
  return resolvePaths(parseKubeconfigDocument(doc, path), dirname(resolve(path)));
}

/** A kubeconfig document checked as kubectl does (`where` names it in messages); paths are left as they are. */
function parseKubeconfigDocument(doc: unknown, where: string): KubeconfigFile {
  const parsed = kubeconfigFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`${where} is not a kubeconfig: ${issues.slice(0, 3).join('; ')}`);
  }
  for (const [list, names] of [
    ['cluster', parsed.data.clusters.map((c) => c.name)],
    ['user', parsed.data.users.map((u) => u.name)],
    ['context', parsed.data.contexts.map((c) => c.name)],
  ] as const) {
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new Error(`${where} defines ${list} "${twice}" twice: keep one`);
  }
  return parsed.data;
}

/** Merge parsed kubeconfig files in order: the first that names a cluster, user or context wins. */
function mergeKubeconfigs(files: { path: string; file: KubeconfigFile }[]): Kubeconfig {
  const kc: Kubeconfig = { files: [], currentContext: null, clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const { path, file } of files) {
    kc.files.push(path);
    kc.currentContext ??= file['current-context'];
    for (const c of file.clusters) if (!kc.clusters.has(c.name)) kc.clusters.set(c.name, c.cluster);
    for (const u of file.users) if (!kc.users.has(u.name)) kc.users.set(u.name, u.user);
    for (const c of file.contexts) if (!kc.contexts.has(c.name)) kc.contexts.set(c.name, c.context);
  }
  return kc;
}

/**
 * A kubeconfig built in memory (from another tool's cluster record, say), checked like a file; `where`
 * names it in messages. File paths in it are taken as they are.
 */
export function kubeconfigFromDocument(doc: unknown, where: string): Kubeconfig {
  return mergeKubeconfigs([{ path: where, file: parseKubeconfigDocument(doc, where) }]);
}

/**
 * Read and merge kubeconfig files in order. `skipMissing` is KUBECONFIG's rule (files that do not exist
 * are skipped, but not all of them); an explicitly named file must exist.
 */
export function loadKubeconfig(paths: string[], opts: { skipMissing: boolean }): Kubeconfig {
  const files: { path: string; file: KubeconfigFile }[] = [];
  for (const path of paths) {
    const file = readKubeconfigFile(path, opts.skipMissing);
    if (file !== null) files.push({ path, file });
  }
  const kc = mergeKubeconfigs(files);
  if (kc.files.length === 0) throw new Error(`none of the kubeconfig files exist (${paths.join(', ')}): fix KUBECONFIG`);
  return kc;
}

/** KUBECONFIG's files (missing ones skipped), or ~/.kube/config, read from the given environment. */
export function loadKubeconfigFromEnv(env: NodeJS.ProcessEnv): Kubeconfig {
  const { files, fromEnv } = kubeconfigPaths(env);
  return loadKubeconfig(files, { skipMissing: fromEnv });
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${describeError(err)}`);
  }
}

function fromBase64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

/**
 * Header names allow a limited alphabet; client-go percent-encodes the rest of an extra's key, byte by byte
 * in UTF-8. Matched per code point (`u`): half a surrogate pair would make encodeURIComponent throw.
 */
function headerKey(key: string): string {
  return key.replace(/[^A-Za-z0-9!#$&'*+\-.^_`|~]/gu, (c) => encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`));
}

/**
 * A header value as client-go sends it: the UTF-8 bytes of the string. node writes a header string as
 * Latin-1 (and refuses characters beyond it), so "jürgen" would reach the API server as invalid UTF-8.
 */
function utf8Header(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}

function impersonationHeaders(user: KubeconfigUser): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  if (user.as !== null) headers['Impersonate-User'] = utf8Header(user.as);
  if (user['as-uid'] !== null) headers['Impersonate-Uid'] = utf8Header(user['as-uid']);
  if (user['as-groups'].length > 0) headers['Impersonate-Group'] = user['as-groups'].map(utf8Header);
  for (const [key, values] of Object.entries(user['as-user-extra'])) headers[`Impersonate-Extra-${headerKey(key)}`] = values.map(utf8Header);
  return headers;
}

/** The trust settings of a cluster entry. */
function serverTrust(name: string, cluster: KubeconfigCluster): { ca: string | null; rejectUnauthorized: boolean; servername: string | null } {
  const insecure = cluster['insecure-skip-tls-verify'];
  const caData = cluster['certificate-authority-data'];
  const caFile = cluster['certificate-authority'];
  if (insecure && (caData !== null || caFile !== null)) {
    // kubectl refuses this combination too: the CA would silently be ignored.
    throw new Error(`cluster "${name}" sets both insecure-skip-tls-verify and a certificate authority: remove one`);
  }
  const ca = caData !== null ? fromBase64(caData) : caFile !== null ? readPem(caFile, `certificate-authority of cluster "${name}":`) : null;
  return { ca, rejectUnauthorized: !insecure, servername: cluster['tls-server-name'] };
}

/**
 * Why a kubeconfig `auth-provider` is refused, true to kubectl: its gcp and azure providers were removed in
 * 1.26 (client-go keeps only oidc), and oidc, which kubectl still runs, needs an OpenID token refresh that
 * this service does not implement; kubelogin's exec plugin does it for both.
 */
function authProviderRefusal(user: string, provider: string | null): string {
  switch (provider) {
    case 'gcp':
      return `user "${user}" uses the gcp auth-provider, which kubectl removed in 1.26: switch the kubeconfig to the exec plugin gke-gcloud-auth-plugin (gcloud components install gke-gcloud-auth-plugin)`;
    case 'azure':
      return `user "${user}" uses the azure auth-provider, which kubectl removed in 1.26: switch the kubeconfig to the exec plugin kubelogin (kubelogin convert-kubeconfig)`;
    case 'oidc':
      return `user "${user}" uses the oidc auth-provider, which argocd-hook-alerts does not implement (kubectl still does): use an exec plugin instead, e.g. kubelogin (kubectl oidc-login get-token), or a ServiceAccount token`;
    default:
      return `user "${user}" uses the ${provider ?? 'unnamed'} auth-provider, which neither kubectl (since 1.26, only oidc remains) nor argocd-hook-alerts supports: use the provider's exec plugin or a ServiceAccount token`;
  }
}

/** The user's own (non-plugin) credentials, checked as kubectl's validation does. */
function userCredentials(name: string, user: KubeconfigUser): Credentials {
  if (user['auth-provider'] !== null) {
    throw new Error(authProviderRefusal(name, user['auth-provider'].name));
  }
  const basic = user.username !== null || user.password !== null;
  const token = user.token !== null || user.tokenFile !== null;
  if (basic && token) throw new Error(`user "${name}" sets both a token and a username/password: keep one authentication method`);
  if (user.exec !== null && (basic || token)) throw new Error(`user "${name}" sets an exec plugin and also a token or password: keep one authentication method`);
  const certFile = user['client-certificate'];
  const keyFile = user['client-key'];
  const cert = user['client-certificate-data'] !== null ? fromBase64(user['client-certificate-data']) : certFile !== null ? readPem(certFile, `client-certificate of user "${name}":`) : null;
  const key = user['client-key-data'] !== null ? fromBase64(user['client-key-data']) : keyFile !== null ? readPem(keyFile, `client-key of user "${name}":`) : null;
  if ((cert === null) !== (key === null)) {
    throw new Error(`user "${name}" sets a client ${cert === null ? 'key' : 'certificate'} without its ${cert === null ? 'certificate' : 'key'}: set both client-certificate(-data) and client-key(-data)`);
  }
  const authorization =
    user.token !== null
      ? `Bearer ${user.token}`
      : basic
        ? `Basic ${Buffer.from(`${user.username ?? ''}:${user.password ?? ''}`).toString('base64')}`
        : null;
  return { authorization, cert, key };
}

/**
 * The connection for a context (`context`, else current-context). `where` names the config in messages
 * ("KUBECONFIG", a file path).
 */
export function connectKubeconfig(kc: Kubeconfig, opts: ConnectOptions & { context?: string | null; where: string }): KubeConnection {
  const { where } = opts;
  const known = (): string => [...kc.contexts.keys()].join(', ') || 'none';
  if (opts.context != null && !kc.contexts.has(opts.context)) {
    throw new Error(`context ${JSON.stringify(opts.context)} is not in ${where} (it has: ${known()})`);
  }
  const contextName = opts.context ?? kc.currentContext;
  if (contextName === null) throw new Error(`${where} has no current context with a cluster: set \`context\` (it has: ${known()})`);
  const context = kc.contexts.get(contextName);
  if (context === undefined) throw new Error(`${where} has current-context ${JSON.stringify(contextName)}, which it does not define (it has: ${known()}): set \`context\``);
  const clusterName = context.cluster;
  if (clusterName === null) throw new Error(`context "${contextName}" in ${where} names no cluster`);
  const cluster = kc.clusters.get(clusterName);
  if (cluster === undefined) throw new Error(`context "${contextName}" names cluster "${clusterName}", which ${where} does not define`);
  if (cluster.server === null) throw new Error(`cluster "${clusterName}" in ${where} has no server`);
  let proxy: URL | null = null;
  if (cluster['proxy-url'] !== null) {
    try {
      proxy = parseProxyUrl(cluster['proxy-url']);
    } catch (err) {
      throw new Error(`cluster "${clusterName}" in ${where}: ${describeError(err)}`);
    }
  }
  const userName = context.user;
  let user: KubeconfigUser | null = null;
  if (userName !== null) {
    user = kc.users.get(userName) ?? null;
    if (user === null) throw new Error(`context "${contextName}" names user "${userName}", which ${where} does not define`);
  }
  const trust = serverTrust(clusterName, cluster);
  const now = opts.now ?? Date.now;
  const base: Credentials = user === null || userName === null ? { authorization: null, cert: null, key: null } : userCredentials(userName, user);
  let credentials: CredentialSource = fixedCredentials(base);
  if (user !== null && userName !== null) {
    if (user.exec !== null) {
      credentials = new ExecCredentialSource(user.exec, {
        user: userName,
        cluster: { cluster, server: cluster.server, caPem: trust.ca },
        base,
        env: opts.processEnv ?? process.env,
        now,
        ...(opts.execTimeoutMs === undefined ? {} : { timeoutMs: opts.execTimeoutMs }),
      });
    } else if (user.tokenFile !== null) {
      credentials = new TokenFileSource(user.tokenFile, { base, now, what: `tokenFile of user "${userName}":` });
    }
  }
  return new KubeConnection(cluster.server, { trust, credentials, headers: user === null ? {} : impersonationHeaders(user), proxy });
}
