/**
 * One error table for the whole service (fastify `lib/errors.js`, undici `code`s). Every error that
 * reaches a user, over HTTP or on the command line, is one of these: a stable code, an HTTP status, a CLI
 * exit code and a message that says what is wrong and what to do.
 */

/** A field-level problem, as listed in 400 answers and config errors. */
export interface ProblemDetail {
  path: string;
  message: string;
  found?: string;
  expected?: string;
}

/** Error raised by this service; carries a code, HTTP status and CLI exit code. */
export class HookAlertsError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly exitCode: 1 | 2;
  readonly issues: ProblemDetail[];

  constructor(
    code: string,
    message: string,
    opts: { statusCode?: number; exitCode?: 1 | 2; issues?: ProblemDetail[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HookAlertsError';
    this.code = code;
    this.statusCode = opts.statusCode ?? 500;
    this.exitCode = opts.exitCode ?? 1;
    this.issues = opts.issues ?? [];
  }
}

type ErrorFactory<A extends unknown[]> = (...args: A) => HookAlertsError;

function define<A extends unknown[]>(
  code: string,
  statusCode: number,
  message: (...args: A) => string,
  exitCode: 1 | 2 = 1,
): ErrorFactory<A> & { code: string } {
  const factory = (...args: A): HookAlertsError =>
    new HookAlertsError(code, message(...args), { statusCode, exitCode });
  return Object.assign(factory, { code });
}

function formatIssues(issues: ProblemDetail[]): string {
  return issues
    .map((i) => {
      const parts = [`  - ${i.path || '(root)'}: ${i.message}`];
      if (i.found !== undefined) parts.push(`found ${i.found}`);
      if (i.expected !== undefined) parts.push(`expected ${i.expected}`);
      return parts.join('; ');
    })
    .join('\n');
}

/** Build an error whose message lists every field problem (config files, request bodies). */
export function withIssues(
  code: string,
  statusCode: number,
  headline: string,
  issues: ProblemDetail[],
): HookAlertsError {
  return new HookAlertsError(code, `${headline}\n${formatIssues(issues)}`, { statusCode, issues });
}

export const errors = {
  authMissing: define(
    'HA_ERR_AUTH_MISSING',
    401,
    () =>
      'missing "Authorization: Bearer <token>" header: set the token of argocd-notifications-secret in the webhook service headers',
  ),
  authInvalid: define(
    'HA_ERR_AUTH_INVALID',
    401,
    () =>
      'the bearer token does not match HOOK_ALERTS_TOKEN: check that argocd-notifications-secret and the service use the same token',
  ),
  bodyNotJson: define(
    'HA_ERR_BODY_NOT_JSON',
    415,
    (contentType: string) =>
      `content type ${JSON.stringify(contentType)} is not supported: send "Content-Type: application/json" (the generated webhook service sets it)`,
  ),
  bodyMalformed: define(
    'HA_ERR_BODY_MALFORMED',
    400,
    (detail: string) =>
      `the body is not valid JSON (${detail}): render every value of the template through toJson (argo-cd#8665); "generate argocd" does`,
  ),
  bodyTooLarge: define(
    'HA_ERR_BODY_TOO_LARGE',
    413,
    (limit: number, length: number | null) =>
      `the body${length === null ? '' : ` (${length} bytes)`} is larger than server.bodyLimitBytes (${limit} bytes), and Argo CD ` +
      'retries it on every reconcile without success: the template of "generate argocd" sends only hook entries and no ' +
      'last-applied annotation (a few KiB for any app size), so re-run it and apply its ConfigMap entries; an older or ' +
      'hand-written template that sends all of operationState needs server.bodyLimitBytes raised (at most 16 MiB)',
  ),
  notFound: define(
    'HA_ERR_NOT_FOUND',
    404,
    (method: string, url: string) =>
      `no route ${method} ${url}: Argo CD should POST to /v1/argocd/events`,
  ),
  methodNotAllowed: define(
    'HA_ERR_METHOD_NOT_ALLOWED',
    405,
    (method: string, path: string, allowed: readonly string[]) =>
      `${path} does not answer ${method}; it answers ${allowed.join(', ')} (Argo CD should POST to /v1/argocd/events)`,
  ),
  storeUnavailable: define(
    'HA_ERR_STORE_UNAVAILABLE',
    503,
    (detail: string) =>
      `the event could not be stored (${detail}); it was not accepted, so Argo CD will retry: check the data volume (space, permissions)`,
  ),
  databaseUnavailable: define(
    'HA_ERR_DATABASE_UNAVAILABLE',
    503,
    (detail: string) =>
      `the event could not be stored (${detail}); it was not accepted, so Argo CD will retry: check that PostgreSQL is up and reachable at store.postgres.url (HOOK_ALERTS_DATABASE_URL)`,
  ),
  databaseNewerSchema: define(
    'HA_ERR_STORE_NEWER_SCHEMA',
    500,
    (location: string, found: number, known: number) =>
      `database ${location} has schema version ${found}, newer than this build knows (${known}): run the newer argocd-hook-alerts release, or point HOOK_ALERTS_DATABASE_URL at another database`,
  ),
  storeNewerSchema: define(
    'HA_ERR_STORE_NEWER_SCHEMA',
    500,
    (file: string, found: number, known: number) =>
      `database ${file} has schema version ${found}, newer than this build knows (${known}): run the newer argocd-hook-alerts release, or point HOOK_ALERTS_DATA_DIR at another directory`,
  ),
  storeCorrupt: define(
    'HA_ERR_STORE_CORRUPT',
    500,
    (file: string, detail: string) =>
      `database ${file} cannot be opened (${detail}): restore it from a backup or move it away to start with an empty store`,
  ),
  storeNotWritable: define(
    'HA_ERR_STORE_NOT_WRITABLE',
    500,
    (dir: string, detail: string) =>
      `the data directory ${dir} cannot be written (${detail}): mount a writable volume there, or point HOOK_ALERTS_DATA_DIR at a writable directory`,
  ),
  configFile: define(
    'HA_ERR_CONFIG_FILE',
    500,
    (file: string, detail: string) => `cannot read config file ${file}: ${detail}`,
  ),
  noToken: define(
    'HA_ERR_CONFIG_NO_TOKEN',
    500,
    () =>
      'no webhook token configured: set HOOK_ALERTS_TOKEN (or server.token in the config file, at least 16 characters); to try it locally, run `argocd-hook-alerts serve --embedded-defaults` (generates a token into the data dir, what `npm start` runs) or pass --insecure-no-auth',
  ),
  listenFailed: define(
    'HA_ERR_LISTEN',
    500,
    (address: string, code: string) => {
      if (code === 'EADDRINUSE') {
        return `cannot listen on ${address}: another process already holds that address (EADDRINUSE): stop it (e.g. an earlier argocd-hook-alerts; \`ss -ltnp\` shows which), or set PORT / server.port to a free port`;
      }
      if (code === 'EACCES') return `cannot listen on ${address}: permission denied (EACCES): ports below 1024 need privileges; set PORT / server.port to 1024 or above`;
      if (code === 'EADDRNOTAVAIL') return `cannot listen on ${address}: no network interface of this machine has that address (EADDRNOTAVAIL): set HOST / server.host to 0.0.0.0 or one of its addresses`;
      return `cannot listen on ${address} (${code}): check HOST / PORT (server.host, server.port)`;
    },
  ),
  usage: define('HA_ERR_USAGE', 400, (detail: string) => detail, 2),
  lintInput: define(
    'HA_ERR_LINT_INPUT',
    400,
    (problems: string[]) =>
      `lint cannot read its input, so no rule was checked:\n${problems.map((p) => `  ${p}`).join('\n')}\nfix or leave out these files and run lint again`,
  ),
  argocdInput: define(
    'HA_ERR_ARGOCD_INPUT',
    400,
    (file: string, detail: string) =>
      `cannot read ${file} (${detail}): pass the manifest as kubectl shows it, e.g. kubectl -n argocd get configmap argocd-notifications-cm -o yaml`,
  ),
  argocdOutput: define(
    'HA_ERR_ARGOCD_OUTPUT',
    500,
    (dir: string, detail: string) =>
      `cannot write the kustomize component to ${dir} (${detail}): pass a directory that can be created and written`,
  ),
  internal: define(
    'HA_ERR_INTERNAL',
    500,
    (requestId: string) =>
      `internal error while handling request ${requestId}; the service logs hold the details under that request id`,
  ),
} as const;

export const CODE_BODY_INVALID = 'HA_ERR_BODY_INVALID';
export const CODE_CONFIG_INVALID = 'HA_ERR_CONFIG_INVALID';
/** `validate argocd` found problems in an argocd-notifications-cm; each is one issue. */
export const CODE_ARGOCD_FINDINGS = 'HA_ERR_ARGOCD_FINDINGS';

/** A config error about one setting, found after the schema (a cluster that cannot be loaded, a missing namespace). */
export function configSettingError(path: string, message: string): HookAlertsError {
  return new HookAlertsError(CODE_CONFIG_INVALID, `invalid configuration: ${path}: ${message}`, {
    issues: [{ path, message }],
  });
}

/** Render any thrown value as a one-line message without leaking a stack to users. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
