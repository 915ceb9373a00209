import { KubeCredentialError } from './kubeconfig-connection.js';
import { statusSchema } from './kube-objects.js';

/** What went wrong with one Kubernetes API call; each kind has a different fix. */
export const KUBE_FAILURE_KINDS = [
  'unauthorized',
  'forbidden',
  'not-found',
  'bad-request',
  'gone',
  /** 409: someone else wrote the object first (a Lease taken by another replica, or already created). */
  'conflict',
  'server',
  'timeout',
  'deadline',
  'unreachable',
  'invalid-response',
  /** An answer larger than this service reads (a list that ignores `limit`, a watch line without end). */
  'too-large',
  /** No credentials could be had (an exec plugin failed, a token file is gone): nothing was sent. */
  'credentials',
] as const;

export type KubeFailureKind = (typeof KUBE_FAILURE_KINDS)[number];

/** A failed Kubernetes API call, classified; `message` is safe to show (no credentials). */
export class KubeCallError extends Error {
  readonly kind: KubeFailureKind;
  readonly status: number | null;
  /** The API server's own message (Status.message) or the network error. */
  readonly detail: string;
  readonly reason: string | null;

  constructor(kind: KubeFailureKind, detail: string, opts: { status?: number | null; reason?: string | null } = {}) {
    super(`${kind}${opts.status == null ? '' : ` (HTTP ${opts.status})`}: ${detail}`);
    this.name = 'KubeCallError';
    this.kind = kind;
    this.detail = detail;
    this.status = opts.status ?? null;
    this.reason = opts.reason ?? null;
  }
}

/** Parse an API server error body (a `Status` object) if it is one. */
function parseStatus(body: unknown): { message: string | null; reason: string | null } | null {
  let value = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body) as unknown;
    } catch {
      // Not JSON (a proxy's HTML page): the caller falls back to the HTTP status alone.
      return null;
    }
  }
  const parsed = statusSchema.safeParse(value);
  return parsed.success ? { message: parsed.data.message, reason: parsed.data.reason } : null;
}

/** Classify an HTTP status and the body the API server sent with it. */
export function fromHttpStatus(status: number, body: unknown): KubeCallError {
  const s = parseStatus(body);
  const detail = s?.message ?? `HTTP ${status}`;
  const opts = { status, reason: s?.reason ?? null };
  if (status === 401) return new KubeCallError('unauthorized', detail, opts);
  if (status === 403) return new KubeCallError('forbidden', detail, opts);
  if (status === 404) return new KubeCallError('not-found', detail, opts);
  if (status === 410) return new KubeCallError('gone', detail, opts);
  if (status === 400) return new KubeCallError('bad-request', detail, opts);
  if (status === 409) return new KubeCallError('conflict', detail, opts);
  return new KubeCallError('server', detail, opts);
}

/** Certificate errors that mean "the server's certificate is not signed by a CA we trust". */
const UNTRUSTED_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** The socket and TLS error codes node reports, each with what to check. */
function networkHint(code: string): string | null {
  if (UNTRUSTED_CERT_CODES.has(code)) {
    return "TLS: the API server's certificate is not signed by a trusted CA; set certificate-authority(-data) to the cluster's CA";
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return "TLS: the API server's certificate is expired or not yet valid; check the server's certificate and this host's clock";
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return "TLS: the API server's certificate does not name this host; use a server address its certificate names, or set tls-server-name";
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) {
    return 'TLS handshake failed; check that the server URL is the https port and, if the server requires one, that a client certificate is configured';
  }
  if (code.startsWith('ERR_OSSL_')) return 'TLS: a certificate, key or CA from the kubeconfig is not valid PEM; check its -data fields and files';
  if (code === 'ECONNREFUSED') return 'nothing accepts connections there; check the server URL and that the API server is up';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve; check the server URL and DNS';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no route to the API server; check the network path (firewall, network policy, VPN)';
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED') return 'the connection was dropped; check load balancers or proxies in between';
  return null;
}

function errorCode(err: Error): string | null {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : null;
}

/** Which of our own timers aborted a call: its per-call timeout or the caller's signal (the deadline). */
export type AbortCause = { kind: 'timeout'; ms: number } | { kind: 'deadline' };

/**
 * Turn whatever a client call threw into a KubeCallError. `abortedBy` says which of our own timers fired
 * when the call was aborted: its per-call timeout or the enrichment deadline.
 */
export function classifyKubeError(err: unknown, abortedBy: AbortCause | null): KubeCallError {
  if (err instanceof KubeCallError) return err;
  if (abortedBy !== null) {
    return abortedBy.kind === 'timeout'
      ? new KubeCallError('timeout', `no answer within ${abortedBy.ms} ms`)
      : new KubeCallError('deadline', 'the enrichment deadline passed first');
  }
  if (err instanceof Error) {
    if (err instanceof KubeCredentialError) return new KubeCallError('credentials', err.message);
    const code = errorCode(err);
    const hint = code === null ? null : networkHint(code);
    // OpenSSL's messages end in a newline ("...:SSL alert number 116\n"), which would split the alert line.
    if (hint !== null) return new KubeCallError('unreachable', `${err.message.trim()} (${hint})`);
    if (err.name === 'AbortError') return new KubeCallError('timeout', 'the request was aborted');
    if (err instanceof SyntaxError || err.name === 'ZodError') return new KubeCallError('invalid-response', err.message.slice(0, 300));
    return new KubeCallError('unreachable', err.message.trim());
  }
  return new KubeCallError('unreachable', String(err));
}

/** What a call needed, for the RBAC hint of a 403. */
export interface KubeAccess {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update';
  /** "jobs.batch", "pods", "pods/log", "events". */
  resource: string;
  namespace: string | null;
}

/** Why a call failed and what to do, without naming the thing (for a container's `logUnavailable`). */
export function explainKubeFailure(err: KubeCallError, ctx: { cluster: string; access: KubeAccess }): string {
  const where = ctx.access.namespace === null ? 'cluster-wide' : `in namespace ${ctx.access.namespace}`;
  switch (err.kind) {
    case 'forbidden':
      return `forbidden: grant ${ctx.access.verb} on ${ctx.access.resource} ${where} to the argocd-hook-alerts service account (deploy/base/rbac-*.yaml); the API server said: ${err.detail}`;
    case 'unauthorized':
      return `cluster ${ctx.cluster} rejected the credentials (HTTP 401): renew the token or kubeconfig configured for it`;
    case 'not-found':
      return `not found (${err.detail})`;
    case 'gone':
    case 'bad-request':
    case 'conflict':
      return err.detail;
    case 'server':
      return `the API server of ${ctx.cluster} answered HTTP ${err.status ?? '?'}${err.reason === null ? '' : ` ${err.reason}`}: ${err.detail}`;
    case 'timeout':
      return `cluster ${ctx.cluster} did not answer in time (${err.detail})`;
    case 'deadline':
      return `not read, ${err.detail}`;
    case 'unreachable':
      return `cluster ${ctx.cluster} unreachable: ${err.detail}`;
    case 'invalid-response':
      return `cluster ${ctx.cluster} sent an answer that is not a Kubernetes object: ${err.detail}`;
    case 'too-large':
      return `cluster ${ctx.cluster} sent more than this service reads at once, so it was not read: ${err.detail}`;
    case 'credentials':
      return `no credentials for cluster ${ctx.cluster}: ${err.detail}`;
  }
}

/**
 * One sentence for the alert: what could not be read, why, and what to do. `what` names the thing
 * ("logs of pod x container y", "Job payments/db-migrate").
 */
export function describeKubeFailure(what: string, err: KubeCallError, ctx: { cluster: string; access: KubeAccess }): string {
  return `${what}: ${explainKubeFailure(err, ctx)}`;
}

/** Failures that concern the whole cluster: asking it anything else is pointless for this enrichment. */
export function isClusterWide(err: KubeCallError): boolean {
  return err.kind === 'unreachable' || err.kind === 'unauthorized' || err.kind === 'deadline' || err.kind === 'timeout' || err.kind === 'credentials';
}
