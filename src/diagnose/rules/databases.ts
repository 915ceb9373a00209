import type { Rule } from '../rule.js';
import { group, optional } from '../rule-text.js';

const PG = 'https://www.postgresql.org/docs/current';
const MYSQL = 'https://dev.mysql.com/doc/refman/8.0/en';
const DOCS = {
  pgConnect: `${PG}/server-start.html#CLIENT-CONNECTION-PROBLEMS`,
  pgPassword: `${PG}/auth-password.html`,
  pgHba: `${PG}/auth-pg-hba-conf.html`,
  pgLockTimeout: `${PG}/runtime-config-client.html#GUC-LOCK-TIMEOUT`,
  pgStatementTimeout: `${PG}/runtime-config-client.html#GUC-STATEMENT-TIMEOUT`,
  pgErrcodes: `${PG}/errcodes-appendix.html`,
  pgDiskFull: `${PG}/disk-full.html`,
  pgHotStandby: `${PG}/hot-standby.html`,
  mysqlConnect: `${MYSQL}/problems-connecting.html`,
  mysqlLockWait: `${MYSQL}/innodb-parameters.html#sysvar_innodb_lock_wait_timeout`,
  mysqlErrors: 'https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html',
  mysqlFullDisk: `${MYSQL}/full-disk.html`,
  mysqlReadOnly: `${MYSQL}/server-system-variables.html#sysvar_read_only`,
  dns: 'https://kubernetes.io/docs/tasks/administer-cluster/dns-debugging-resolution/',
} as const;

// PostgreSQL prints "NOTICE: relation "x" already exists, skipping" for IF [NOT] EXISTS: not an error.
const NOT_SKIPPING = '(?!, skipping)';

/**
 * Databases: connectivity, credentials, locks and schema errors as PostgreSQL, MySQL and their client
 * libraries (libpq, pgjdbc, node-postgres, Go's net, mysql clients) word them.
 */
export const databaseRules: Rule[] = [
  {
    id: 'database.dns-failure',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: new RegExp(
        [
          String.raw`getaddrinfo (?:ENOTFOUND|EAI_AGAIN) (?<host>[^\s]{1,255})`,
          String.raw`could not translate host name "(?<host2>[^"]{1,255})" to address`,
          String.raw`lookup (?<host3>[^\s:]{1,255})(?: on [^\s]{1,100})?: (?:no such host|server misbehaving)`,
          String.raw`UnknownHostException: (?<host4>[^\s:]{1,255})`,
          String.raw`Unknown MySQL server host '(?<host5>[^']{1,255})'`,
          String.raw`\[Errno -[23]\] (?:Name or service not known|Temporary failure in name resolution)`,
        ].join('|'),
      ),
    },
    title: (ctx) => `Host name${optional(ctx, 'host', (h) => ` "${h}"`)} does not resolve from the hook pod`,
    hint: 'Check the host in the connection string (a Service in another namespace needs "name.namespace.svc"), and that the Service exists before the hook runs.',
    docs: DOCS.dns,
  },
  {
    id: 'database.connection-refused',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: new RegExp(
        [
          String.raw`connection to server (?:at|on socket) "(?<host>[^"]{1,255})"[^\n]{0,80}?failed: Connection refused`,
          String.raw`could not connect to server: Connection refused`,
          String.raw`Connection to (?<host2>[^\s]{1,255}) refused\. Check that the hostname and port are correct`,
          String.raw`connect ECONNREFUSED (?<host3>[^\s]{1,255})`,
          String.raw`dial tcp (?<host4>[^\s]{1,255}): connect: connection refused`,
          String.raw`Can't connect to MySQL server on '(?<host5>[^']{1,255})'`,
        ].join('|'),
      ),
    },
    title: (ctx) => `Connection to the database${optional(ctx, 'host', (h) => ` at ${h}`)} was refused`,
    hint: 'Nothing listens at that address: check the host and port in the connection string and that the database (or its proxy sidecar) is up before the hook runs.',
    docs: (ctx) => (ctx.match.groups.host5 === undefined ? DOCS.pgConnect : DOCS.mysqlConnect),
  },
  {
    id: 'database.connection-timeout',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: new RegExp(
        [
          String.raw`connection to server at "(?<host>[^"]{1,255})"[^\n]{0,80}?failed: (?:Connection timed out|timeout expired)`,
          String.raw`could not connect to server: Connection timed out`,
          String.raw`connect ETIMEDOUT (?<host2>[^\s]{1,255})`,
          String.raw`dial tcp (?<host3>[^\s]{1,255}): (?:connect: connection timed out|i/o timeout)`,
          String.raw`SocketTimeoutException: [Cc]onnect timed out`,
        ].join('|'),
      ),
    },
    title: (ctx) => `Connecting to the database${optional(ctx, 'host', (h) => ` at ${h}`)} timed out`,
    hint: 'Packets to the database get no answer: check NetworkPolicy egress from the hook\'s namespace, firewall or security-group rules, and that the address is the database\'s.',
    docs: DOCS.pgConnect,
  },
  {
    id: 'database.postgres-auth-failed',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /password authentication failed for user "(?<user>[^"]{1,128})"/ },
    title: (ctx) => `PostgreSQL rejected the password of user "${group(ctx, 'user') ?? '?'}"`,
    hint: 'The password the hook got (from its Secret or DATABASE_URL) does not match the database user: compare them, e.g. after a rotation, then sync again.',
    docs: DOCS.pgPassword,
  },
  {
    id: 'database.postgres-hba-rejected',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: /no pg_hba\.conf entry for host "(?<host>[^"]{1,255})", user "(?<user>[^"]{1,128})"/,
    },
    title: (ctx) => `PostgreSQL does not accept user "${group(ctx, 'user') ?? '?'}" from ${group(ctx, 'host') ?? 'this address'}`,
    hint: 'No pg_hba.conf line allows this client address, user and database (or it requires SSL the client did not use): add one, or connect with sslmode=require if the rule is hostssl.',
    docs: DOCS.pgHba,
  },
  {
    id: 'database.mysql-access-denied',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /Access denied for user '(?<user>[^']{1,128})'@'(?<host>[^']{0,255})'/ },
    title: (ctx) => `MySQL denied access to user '${group(ctx, 'user') ?? '?'}'@'${group(ctx, 'host') ?? '%'}'`,
    hint: 'Wrong password, or no account for that user from this client host: check the hook\'s Secret against the account and its allowed host.',
    docs: DOCS.mysqlConnect,
  },
  {
    id: 'database.postgres-lock-timeout',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /canceling statement due to lock timeout/ },
    title: 'A migration statement gave up waiting for a table lock (lock_timeout)',
    hint: 'Another session held a conflicting lock (the running app, a long transaction or another migration): find it in pg_stat_activity and pg_locks, then retry; a short lock_timeout with retries is safer than blocking traffic.',
    docs: DOCS.pgLockTimeout,
  },
  {
    id: 'database.postgres-statement-timeout',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /canceling statement due to statement timeout/ },
    title: 'A migration statement ran longer than statement_timeout and was cancelled',
    hint: 'The statement waited for a lock or rewrote a large table: check pg_stat_activity for blockers, and set a longer statement_timeout for the migration session only (or split the change).',
    docs: DOCS.pgStatementTimeout,
  },
  {
    id: 'database.mysql-lock-wait-timeout',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /Lock wait timeout exceeded; try restarting transaction/ },
    title: 'A migration statement gave up waiting for a lock (innodb_lock_wait_timeout)',
    hint: 'Another transaction held the rows or table: find it with SHOW ENGINE INNODB STATUS or performance_schema.data_locks, then retry once it is gone.',
    docs: DOCS.mysqlLockWait,
  },
  {
    id: 'database.postgres-already-exists',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: new RegExp(
        String.raw`(?<what>relation|column|type) "(?<name>[^"]{1,128})"(?: of relation "(?<table>[^"]{1,128})")? already exists${NOT_SKIPPING}`,
      ),
    },
    title: (ctx) =>
      `${group(ctx, 'what') === 'column' ? 'Column' : group(ctx, 'what') === 'type' ? 'Type' : 'Table'} "${group(ctx, 'name') ?? '?'}"${optional(ctx, 'table', (t) => ` of "${t}"`)} already exists`,
    hint: 'The schema already has what this migration creates, so the migration history and the schema disagree (an earlier partial run or a manual change): check the object, then drop it or record the migration as applied.',
    docs: DOCS.pgErrcodes,
  },
  {
    id: 'database.mysql-table-exists',
    family: 'database',
    severity: 'error',
    priority: 80,
    // The mysql client's "Note (Code 1050): Table 'x' already exists" is CREATE TABLE IF NOT EXISTS at work.
    matcher: { kind: 'log', pattern: /(?<!Note \(Code 1050\): )Table '(?<name>[^']{1,192})' already exists/ },
    title: (ctx) => `Table '${group(ctx, 'name') ?? '?'}' already exists`,
    hint: 'The schema already has what this migration creates, so the migration history and the schema disagree (an earlier partial run or a manual change): check the table, then drop it or record the migration as applied.',
    docs: DOCS.mysqlErrors,
  },
  {
    id: 'database.postgres-undefined-column',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: new RegExp(
        String.raw`column "(?<name>[^"]{1,128})"(?: of relation "(?<table>[^"]{1,128})")? does not exist${NOT_SKIPPING}`,
      ),
    },
    title: (ctx) => `Column "${group(ctx, 'name') ?? '?'}"${optional(ctx, 'table', (t) => ` of "${t}"`)} does not exist`,
    hint: 'The migration refers to a column that is not there: an earlier migration was skipped or rolled back, or it runs against the wrong database or schema.',
    docs: DOCS.pgErrcodes,
  },
  {
    id: 'database.mysql-unknown-column',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /Unknown column '(?<name>[^']{1,192})' in '(?<where>[^']{1,64})'/ },
    title: (ctx) => `Unknown column '${group(ctx, 'name') ?? '?'}'`,
    hint: 'The migration refers to a column that is not there: an earlier migration was skipped or rolled back, or it runs against the wrong database.',
    docs: DOCS.mysqlErrors,
  },
  {
    id: 'database.disk-full',
    family: 'database',
    severity: 'critical',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: /could not (?:extend|write to) file "(?<file>[^"]{1,255})"[^\n]{0,40}No space left on device|No space left on device/,
    },
    title: (ctx) =>
      group(ctx, 'file') === undefined ? 'A disk is full: "No space left on device"' : 'The database server\'s disk is full',
    hint: (ctx) =>
      group(ctx, 'file') === undefined
        ? 'Either the database\'s volume or the hook pod\'s own filesystem is full (the quoted line says which path): free space or grow the volume, then sync again.'
        : 'PostgreSQL could not grow a data file: free space or grow the database volume (a table rewrite needs room for a second copy), then sync again.',
    docs: DOCS.pgDiskFull,
  },
  {
    id: 'database.mysql-disk-full',
    family: 'database',
    severity: 'critical',
    priority: 81,
    matcher: { kind: 'log', pattern: /The table '(?<name>[^']{1,192})' is full\b|Errcode: 28 - No space left on device/ },
    title: 'The MySQL server ran out of disk space',
    hint: 'Free space or grow the database volume (ALTER TABLE copies the table), then sync again.',
    docs: DOCS.mysqlFullDisk,
    supersedes: ['database.disk-full'],
  },
  {
    id: 'database.postgres-read-only',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: { kind: 'log', pattern: /cannot execute (?<statement>[A-Za-z ]{1,40}) in a read-only transaction/ },
    title: 'The migration reached a read-only PostgreSQL server',
    hint: 'The connection string points at a replica or standby (or default_transaction_read_only is on): point the migration at the primary\'s read-write endpoint.',
    docs: DOCS.pgHotStandby,
  },
  {
    id: 'database.mysql-read-only',
    family: 'database',
    severity: 'error',
    priority: 80,
    matcher: {
      kind: 'log',
      pattern: /The MySQL server is running with the --(?<option>super-read-only|read-only) option so it cannot execute this statement/,
    },
    title: (ctx) => `The migration reached a MySQL server running with --${group(ctx, 'option') ?? 'read-only'}`,
    hint: 'The connection string points at a replica (or a failed-over former primary): point the migration at the primary\'s read-write endpoint.',
    docs: DOCS.mysqlReadOnly,
  },
];
