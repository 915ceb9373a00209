import pg from 'pg';

/** sslmode values node-postgres understands (its connection-string parsing turns them into TLS options). */
const SSL_MODES = new Set(['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']);

/**
 * Why `url` is not a PostgreSQL URL node-postgres can use, or null. The message never repeats the URL:
 * it may hold a password.
 */
export function postgresUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL; expected postgres://user@host:5432/database?sslmode=verify-full (special characters of the user or password percent-encoded)';
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    return `the scheme is ${parsed.protocol.replace(/:$/, '')}; expected postgres:// or postgresql://`;
  }
  if (parsed.pathname.replace(/^\//, '') === '') return 'names no database; add it as the path: postgres://user@host:5432/<database>';
  const sslmode = parsed.searchParams.get('sslmode');
  if (sslmode !== null && !SSL_MODES.has(sslmode)) {
    return `sslmode=${sslmode} is not one of ${[...SSL_MODES].join(', ')}`;
  }
  return null;
}

/** The URL with its password (in the userinfo or the query) removed: what logs and messages may show. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return '(an unparseable URL)';
  }
}

/**
 * The connection string to hand to node-postgres: `url` with `password`, when given, as a query parameter.
 * node-postgres lets every value of a connection string override its other options, and an absent password
 * reads as empty there, so a separate `password` option would be lost; the query form works for host and
 * Unix-socket URLs alike.
 */
export function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  const parsed = new URL(url);
  parsed.password = '';
  parsed.searchParams.set('password', password);
  return parsed.toString();
}

/** What the PostgreSQL store connects with. */
export interface PgConnectionOptions {
  url: string;
  /** Wins over a password in the URL (HOOK_ALERTS_DATABASE_PASSWORD or its _FILE). */
  password?: string | undefined;
  /** Connections of this process's pool. */
  poolSize?: number;
  /** An idle pooled connection broke (the server restarted or went away); the pool replaces it. */
  onIdleError?: (err: Error) => void;
}

/** How long a connection attempt may take: readiness and intake must answer 503 promptly when the server is gone. */
const CONNECT_TIMEOUT_MS = 5_000;
/** A query that got no answer this long counts as the database being unreachable (a network partition). */
const QUERY_TIMEOUT_MS = 15_000;

/** A pool on the URL (TLS from its sslmode and sslrootcert, as node-postgres parses them). */
export function createPool(opts: PgConnectionOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: withPassword(opts.url, opts.password),
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    application_name: 'argocd-hook-alerts',
  });
  // Without a listener an idle connection's error (a server restart) would end the process.
  pool.on('error', (err) => opts.onIdleError?.(err));
  // A connection checked out of the pool (inside a transaction) that breaks emits 'error' on its client,
  // which the pool does not listen to while it is out: without a listener that ended the process when
  // PostgreSQL restarted (found by test/fault/postgres-outage.test.ts). The statement in progress fails
  // with the same error, and that failure is what its caller handles.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** A single connection without a query timeout: migrations may wait on the advisory lock while another replica migrates. */
export function createMigrationClient(opts: PgConnectionOptions): pg.Client {
  const client = new pg.Client({
    connectionString: withPassword(opts.url, opts.password),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'argocd-hook-alerts (migrations)',
  });
  // A broken connection also fails the migration statement in progress, which start-up reports; an
  // 'error' event without a listener would end the process first.
  client.on('error', () => undefined);
  return client;
}

// SQLSTATE classes that mean "the server, not the statement": connection exceptions (08), insufficient
// resources (53), operator intervention such as a shutdown (57), system errors (58), and a transaction
// rolled back by a serialization failure or deadlock (40) that still failed after the retries.
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58', '40']);

// node-postgres's own words for a connection that broke or never came (plain Errors without a code).
const CONNECTION_FAILURE = /connection terminated|connection ended|timeout|not queryable|cannot use a pool after calling end/i;

/**
 * The error means the database cannot be reached or cannot work now, not a bug in a statement or in the
 * rows: a server's SQLSTATE of those classes, a socket error (ECONNREFUSED, ECONNRESET, ETIMEDOUT...), or
 * node-postgres reporting a broken or timed-out connection.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return UNAVAILABLE_CLASSES.has((err.code ?? '').slice(0, 2));
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true;
  return CONNECTION_FAILURE.test(err.message);
}

/** The code PgStore gives errors of an unreachable database; intake answers them with 503. */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';
