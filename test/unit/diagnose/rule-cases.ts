// Test cases per rule id: adding a rule means adding its entry here (rules.test.ts fails otherwise).
// Positives are the tools' real output (fixtures, or single lines in the exact wording of the tool's
// source); near-misses are real lines that look alike but are not that failure.
import type { JobReport } from '../../../src/model/job-report.js';
import {
  container,
  event,
  failedWithLog,
  fixture,
  jobInfo,
  jobReport,
  pod,
  running,
  terminated,
  waiting,
  hook,
} from './job-report-builder.js';

export interface RuleCase {
  name: string;
  report: JobReport;
  /** Substring the evidence must contain (positives). */
  evidence?: string;
  /** What the title must say (positives). */
  title?: RegExp;
  /** What the hint must say (positives). */
  hint?: RegExp;
}

export interface RuleCases {
  positive: RuleCase[];
  nearMiss: RuleCase[];
}

const log = (text: string): JobReport => failedWithLog(text);

/** Two attempts (pods) of the Job, each ending with the given last log line and exit code. */
function attempts(lines: [string, number][], jobOver: Parameters<typeof jobInfo>[0] = 'BackoffLimitExceeded'): JobReport {
  return jobReport({
    job: jobInfo(jobOver),
    pods: lines.map(([line, exit], i) =>
      pod(`db-migrate-${['x7k2p', 'q9m4d', 'b2c8v'][i] ?? 'zzzzz'}`, [
        container({ current: terminated(exit), log: `${`2024-03-04T09:4${i}:10Z starting migration\n`}${line}\n` }),
      ]),
    ),
  });
}

const oneWaitingPod = (reason: string, message: string | null, over: Parameters<typeof container>[0] = {}): JobReport =>
  jobReport({ job: jobInfo(null), pods: [pod('db-migrate-x7k2p', [container({ current: waiting(reason, message), ...over })], { phase: 'Pending' })] });

export const CASES: Record<string, RuleCases> = {
  // --- kubernetes -------------------------------------------------------------------------------
  'kubernetes.missing-config': {
    positive: [
      {
        name: 'CreateContainerConfigError: secret not found',
        report: oneWaitingPod('CreateContainerConfigError', 'secret "db-credentials" not found'),
        evidence: 'secret "db-credentials" not found',
        title: /Secret "db-credentials" did not exist/,
        hint: /PreSync hook itself[\s\S]*phase before wave/,
      },
      {
        name: 'event Failed: configmap not found, Sync hook',
        report: jobReport({
          hook: hook({ hookType: 'Sync' }),
          job: jobInfo(null),
          pods: [pod('db-migrate-x7k2p', [container({ current: waiting('ContainerCreating') })], { phase: 'Pending' })],
          events: [event('Failed', 'Error: configmap "migrate-config" not found')],
        }),
        title: /ConfigMap "migrate-config"/,
        hint: /lower argocd\.argoproj\.io\/sync-wave than the Sync hook/,
      },
      {
        name: 'missing key in an existing Secret',
        report: oneWaitingPod('CreateContainerConfigError', "couldn't find key password in Secret payments/db-credentials"),
        title: /Secret "db-credentials" has no key "password"/,
      },
    ],
    nearMiss: [
      {
        name: 'CreateContainerConfigError for another reason',
        report: oneWaitingPod('CreateContainerConfigError', 'container has runAsNonRoot and image will run as root'),
      },
      { name: 'a log line that mentions a missing secret', report: log('warning: secret "sentry-dsn" not found, error reporting disabled') },
    ],
  },
  'kubernetes.image-pull': {
    positive: [
      {
        name: 'ErrImagePull event: tag not found',
        report: jobReport({
          job: jobInfo(null),
          pods: [pod('db-migrate-x7k2p', [container({ current: waiting('ImagePullBackOff', 'Back-off pulling image "registry.example.com/payments/migrate:1.4.3"') })], { phase: 'Pending' })],
          events: [
            event(
              'Failed',
              'Failed to pull image "registry.example.com/payments/migrate:1.4.3": rpc error: code = NotFound desc = failed to pull and unpack image "registry.example.com/payments/migrate:1.4.3": failed to resolve reference "registry.example.com/payments/migrate:1.4.3": registry.example.com/payments/migrate:1.4.3: not found',
            ),
          ],
        }),
        title: /registry\.example\.com\/payments\/migrate:1\.4\.3/,
        hint: /Tag "1\.4\.3" of registry\.example\.com\/payments\/migrate does not exist/,
      },
      {
        name: 'ErrImagePull event: 401 from the registry',
        report: jobReport({
          job: jobInfo(null),
          events: [
            event(
              'Failed',
              'Failed to pull image "ghcr.io/acme/migrate:2.0.0": rpc error: code = Unknown desc = failed to pull and unpack image "ghcr.io/acme/migrate:2.0.0": failed to resolve reference "ghcr.io/acme/migrate:2.0.0": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fmigrate%3Apull&service=ghcr.io: 401 Unauthorized',
            ),
          ],
        }),
        hint: /imagePullSecret/,
      },
      {
        name: 'InspectFailed: malformed reference',
        report: jobReport({
          job: jobInfo(null),
          events: [
            event(
              'InspectFailed',
              'Failed to apply default image tag "registry.example.com/payments/migrate: ": couldn\'t parse image name "registry.example.com/payments/migrate: ": invalid reference format',
            ),
          ],
        }),
        hint: /malformed/,
      },
      {
        name: 'ImagePullBackOff state only',
        report: oneWaitingPod('ImagePullBackOff', 'Back-off pulling image "registry.example.com/payments/migrate:1.4.3"', {
          image: 'registry.example.com/payments/migrate:1.4.3',
        }),
        hint: /tag "1\.4\.3"[\s\S]*imagePullSecrets/,
      },
    ],
    nearMiss: [
      {
        name: 'Pulled event',
        report: jobReport({ events: [event('Pulled', 'Successfully pulled image "registry.example.com/payments/migrate:1.4.2" in 1.2s', 'Pod/db-migrate-x7k2p', 'Normal')] }),
      },
      { name: 'ContainerCreating', report: oneWaitingPod('ContainerCreating', null) },
    ],
  },
  'kubernetes.failed-scheduling': {
    positive: [
      {
        name: 'FailedScheduling: insufficient memory',
        report: jobReport({
          job: jobInfo('DeadlineExceeded'),
          pods: [pod('db-migrate-x7k2p', [container({ current: waiting('ContainerCreating') })], { phase: 'Pending', nodeName: null })],
          events: [
            event(
              'FailedScheduling',
              '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
            ),
          ],
        }),
        evidence: 'Insufficient memory',
        hint: /enough free memory/,
      },
      {
        name: 'PodScheduled=False on the pod, taints',
        report: jobReport({
          pods: [
            pod('db-migrate-x7k2p', [container({ current: waiting('ContainerCreating') })], {
              phase: 'Pending',
              unschedulable: "Unschedulable: 0/2 nodes are available: 2 node(s) had untolerated taint {dedicated: db}.",
            }),
          ],
        }),
        hint: /tolerations/,
      },
    ],
    nearMiss: [
      { name: 'Scheduled event', report: jobReport({ events: [event('Scheduled', 'Successfully assigned payments/db-migrate-x7k2p to node-1', 'Pod/db-migrate-x7k2p', 'Normal')] }) },
    ],
  },
  'kubernetes.oom-killed': {
    positive: [
      {
        name: 'OOMKilled with a limit',
        report: jobReport({ pods: [pod('db-migrate-x7k2p', [container({ current: terminated(137, 'OOMKilled'), log: 'Migrating schema "public" to version "9 - backfill"\n' })])] }),
        evidence: 'OOMKilled (exit 137)',
        title: /OOMKilled at its memory limit of 512Mi/,
        hint: /above 512Mi/,
      },
      {
        name: 'OOMKilled in the previous run, no limit',
        report: jobReport({
          pods: [pod('db-migrate-x7k2p', [container({ current: running(), lastTermination: terminated(137, 'OOMKilled'), restartCount: 1, limits: { memory: null, cpu: null } })])],
        }),
        title: /no memory limit/,
      },
    ],
    nearMiss: [
      { name: 'exit 137 from SIGKILL, not OOM', report: jobReport({ pods: [pod('db-migrate-x7k2p', [container({ current: terminated(137, 'Error') })])] }) },
    ],
  },
  'kubernetes.deadline-exceeded': {
    positive: [
      {
        name: 'Job condition DeadlineExceeded',
        report: jobReport({ job: jobInfo('DeadlineExceeded', { activeDeadlineSeconds: 600 }), hook: hook({ message: 'Job was active longer than specified deadline' }) }),
        evidence: 'Job/db-migrate DeadlineExceeded: Job was active longer than specified deadline',
        title: /activeDeadlineSeconds \(600 s\)/,
      },
      {
        name: 'Job gone: Argo CD hook message only',
        report: jobReport({ job: null, hook: hook({ message: 'Job was active longer than specified deadline' }) }),
        evidence: 'Job/db-migrate: Job was active longer than specified deadline',
      },
    ],
    nearMiss: [{ name: 'BackoffLimitExceeded', report: jobReport({ job: jobInfo('BackoffLimitExceeded', { activeDeadlineSeconds: 600 }) }) }],
  },
  'kubernetes.backoff-same-error': {
    positive: [
      {
        name: 'three attempts, same last line, same exit',
        report: attempts([
          ['2024-03-04T09:43:12Z ERROR: relation "invoices" already exists', 1],
          ['2024-03-04T09:42:31Z ERROR: relation "invoices" already exists', 1],
          ['2024-03-04T09:41:14Z ERROR: relation "invoices" already exists', 1],
        ]),
        evidence: 'relation "invoices" already exists',
        title: /All 3 attempts failed the same way \(exit 1\)/,
      },
    ],
    nearMiss: [
      {
        name: 'attempts ended differently',
        report: attempts([
          ['ERROR: relation "invoices" already exists', 1],
          ['Error: connect ECONNREFUSED 10.43.12.7:5432', 1],
        ]),
      },
      { name: 'one attempt only', report: attempts([['ERROR: relation "invoices" already exists', 1]]) },
      {
        name: 'same error but the Job hit its deadline, not the backoff limit',
        report: attempts(
          [
            ['ERROR: relation "invoices" already exists', 1],
            ['ERROR: relation "invoices" already exists', 1],
          ],
          'DeadlineExceeded',
        ),
      },
    ],
  },

  // --- flyway -----------------------------------------------------------------------------------
  'flyway.checksum-mismatch': {
    positive: [
      {
        name: 'Flyway 10 validate',
        report: log(fixture('flyway-checksum-mismatch.log')),
        evidence: 'Migration checksum mismatch for migration version 3',
        title: /migration 3 was changed/,
      },
    ],
    nearMiss: [
      {
        name: 'repair output',
        report: log('Repairing Schema History table for version 3 (Description: add index, Type: SQL, Checksum: 1149244416)  ...'),
      },
    ],
  },
  'flyway.failed-migration-in-history': {
    positive: [
      { name: 'validate: Detected failed migration', report: log(fixture('flyway-failed-migration.log')), title: /migration 4 is recorded as failed/ },
      { name: 'migrate: contains a failed migration', report: log('ERROR: Schema "public" contains a failed migration to version 4 !'), title: /migration 4 / },
    ],
    nearMiss: [
      {
        name: 'repair: no failed migration',
        report: log('Repair of failed migration in Schema History table "public"."flyway_schema_history" not necessary. No failed migration detected.'),
      },
    ],
  },
  'flyway.non-empty-schema': {
    positive: [{ name: 'no history table', report: log(fixture('flyway-non-empty-schema.log')), title: /schema "public" has tables/ }],
    nearMiss: [{ name: 'creating the history table', report: log('Creating Schema History table "public"."flyway_schema_history" ...') }],
  },
  'flyway.applied-not-resolved': {
    positive: [{ name: 'rolled-back image', report: log(fixture('flyway-applied-not-resolved.log')), title: /migration 7 that this image does not contain/ }],
    nearMiss: [{ name: 'up to date', report: log('Schema "public" is up to date. No migration necessary.') }],
  },
  'flyway.validate-failed': {
    positive: [
      {
        name: 'validate failed for a reason without its own rule',
        report: log('ERROR: Validate failed: Migrations have failed validation\nDetected resolved migration not applied to database: 6.\n'),
      },
    ],
    nearMiss: [{ name: 'validated', report: log('Successfully validated 5 migrations (execution time 00:00.031s)') }],
  },

  // --- liquibase --------------------------------------------------------------------------------
  'liquibase.lock-held': {
    positive: [{ name: 'lock held by a dead pod', report: log(fixture('liquibase-lock-held.log')), title: /held by db-migrate-7d9c4 \(10\.42\.1\.17\)/ }],
    nearMiss: [{ name: 'lock acquired', report: log('INFO 3/4/24, 9:41 AM: liquibase: Successfully acquired change log lock') }],
  },
  'liquibase.checksum-changed': {
    positive: [
      {
        name: 'validation failed, checksum',
        report: log(fixture('liquibase-checksum.log')),
        evidence: 'db/changelog/db.changelog-master.yaml::3::alice was: 9:0e4f4a1fa4b4ab1b8e5a0d5c5b6e0a1c but is now:',
        title: /db\/changelog\/db\.changelog-master\.yaml::3::alice/,
      },
      { name: 'Liquibase 3.x wording', report: log('Validation Failed:\n     1 change sets check sum\n') },
    ],
    nearMiss: [{ name: 'debug checksum line', report: log('DEBUG liquibase: Computed checksum for 1550333072250 as dfbb898379fa36298f7b2179a4e60fdd') }],
  },

  // --- alembic ----------------------------------------------------------------------------------
  'alembic.unknown-revision': {
    positive: [{ name: 'FAILED: Can\'t locate revision', report: log(fixture('alembic-unknown-revision.log')), title: /'b7e3c1d9a2f4'/ }],
    nearMiss: [{ name: 'upgrade line', report: log('INFO  [alembic.runtime.migration] Running upgrade b7e3c1d9a2f4 -> c1d2e3f4a5b6, add invoice status') }],
  },
  'alembic.multiple-heads': {
    positive: [{ name: 'upgrade head with two heads', report: log(fixture('alembic-multiple-heads.log')) }],
    nearMiss: [{ name: 'heads output', report: log('c1d2e3f4a5b6 (head)') }],
  },

  // --- prisma -----------------------------------------------------------------------------------
  'prisma.failed-migration-recorded': {
    positive: [{ name: 'P3009', report: log(fixture('prisma-p3009.log')), title: /20240301120000_add_invoice_status/, hint: /--rolled-back 20240301120000_add_invoice_status/ }],
    nearMiss: [{ name: 'nothing to apply', report: log('No pending migrations to apply.') }],
  },
  'prisma.migration-failed': {
    positive: [{ name: 'P3018', report: log(fixture('prisma-p3018.log')), title: /20240301120000_add_invoice_status failed to apply/ }],
    nearMiss: [{ name: 'applying', report: log('Applying migration `20240301120000_add_invoice_status`\nMigration name format: <timestamp>_<name>') }],
  },
  'prisma.database-unreachable': {
    positive: [{ name: 'P1001', report: log(fixture('prisma-p1001.log')), title: /at payments-db\.payments\.svc:5432 \(P1001\)/ }],
    nearMiss: [{ name: 'datasource line', report: log('Datasource "db": PostgreSQL database "payments", schema "public" at "payments-db.payments.svc:5432"') }],
  },

  // --- golang-migrate ---------------------------------------------------------------------------
  'golang-migrate.dirty': {
    positive: [{ name: 'dirty 16', report: log(fixture('golang-migrate-dirty.log')), title: /dirty at version 16/, hint: /migrate force 15/ }],
    nearMiss: [{ name: 'version output', report: log('16 (dirty: false)') }],
  },

  // --- rails ------------------------------------------------------------------------------------
  'rails.pending-migrations': {
    positive: [{ name: 'db:seed with pending migrations', report: log(fixture('rails-pending.log')) }],
    nearMiss: [{ name: 'migrated', report: log('== 20240301120000 AddStatusToInvoices: migrated (0.0123s) ===========================') }],
  },
  'rails.concurrent-migration': {
    positive: [{ name: 'advisory lock held', report: log(fixture('rails-concurrent.log')) }],
    nearMiss: [{ name: 'waiting', report: log('Waiting for another migration process to finish') }],
  },
  'rails.duplicate-table': {
    positive: [{ name: 'PG::DuplicateTable', report: log(fixture('rails-duplicate-table.log')), title: /table invoices already exists/ }],
    nearMiss: [{ name: 'PG::UndefinedTable', report: log('PG::UndefinedTable: ERROR:  relation "invoices" does not exist') }],
  },

  // --- django -----------------------------------------------------------------------------------
  'django.inconsistent-history': {
    positive: [{ name: 'custom user model added later', report: log(fixture('django-inconsistent-history.log')), title: /admin\.0001_initial is applied but its dependency accounts\.0001_initial/ }],
    nearMiss: [{ name: 'applying', report: log('  Applying accounts.0001_initial... OK') }],
  },
  'django.conflicting-migrations': {
    positive: [{ name: 'two leaves', report: log(fixture('django-conflicting.log')), title: /0007_invoice_status, 0007_invoice_due_date in billing/ }],
    nearMiss: [{ name: 'merge found nothing', report: log('No conflicts detected to merge.') }],
  },

  // --- databases --------------------------------------------------------------------------------
  'database.dns-failure': {
    positive: [
      { name: 'node getaddrinfo', report: log('Error: getaddrinfo ENOTFOUND payments-db'), title: /"payments-db"/ },
      { name: 'libpq', report: log('psql: error: could not translate host name "payments-db" to address: Name or service not known') },
      { name: 'go', report: log('error: dial tcp: lookup payments-db on 10.96.0.10:53: no such host'), title: /"payments-db"/ },
      { name: 'java', report: log('Caused by: java.net.UnknownHostException: payments-db') },
      { name: 'mysql', report: log("ERROR 2005 (HY000): Unknown MySQL server host 'payments-db' (-2)") },
    ],
    nearMiss: [{ name: 'resolved', report: log('resolved payments-db to 10.43.12.7 (getaddrinfo 3ms)') }],
  },
  'database.connection-refused': {
    positive: [
      { name: 'libpq 16', report: log(fixture('postgres-psql-errors.log')), title: /at payments-db\.payments\.svc was refused/ },
      { name: 'pgjdbc', report: log('org.postgresql.util.PSQLException: Connection to payments-db:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.') },
      { name: 'node', report: log('Error: connect ECONNREFUSED 10.43.12.7:5432'), title: /10\.43\.12\.7:5432/ },
      { name: 'go', report: log('error: dial tcp 10.43.12.7:5432: connect: connection refused') },
      { name: 'mysql', report: log("ERROR 2003 (HY000): Can't connect to MySQL server on 'payments-db:3306' (111)") },
    ],
    nearMiss: [{ name: 'pool stats', report: log('pool: 0 connections refused, 4 idle') }],
  },
  'database.connection-timeout': {
    positive: [
      { name: 'node', report: log('Error: connect ETIMEDOUT 10.43.12.7:5432') },
      { name: 'go', report: log('failed to connect: dial tcp 10.43.12.7:5432: i/o timeout'), title: /10\.43\.12\.7:5432/ },
      { name: 'libpq connect_timeout', report: log('connection to server at "payments-db.payments.svc" (10.43.12.7), port 5432 failed: timeout expired') },
    ],
    nearMiss: [{ name: 'setting', report: log('connect_timeout=10 statement_timeout=30s') }],
  },
  'database.postgres-auth-failed': {
    positive: [
      {
        name: 'psycopg2',
        report: log('psycopg2.OperationalError: connection to server at "payments-db.payments.svc" (10.43.12.7), port 5432 failed: FATAL:  password authentication failed for user "payments"'),
        title: /user "payments"/,
      },
    ],
    nearMiss: [{ name: 'auth method', report: log('password authentication method: scram-sha-256') }],
  },
  'database.postgres-hba-rejected': {
    positive: [{ name: 'no pg_hba entry', report: log('FATAL:  no pg_hba.conf entry for host "10.42.1.17", user "payments", database "payments", no encryption') }],
    nearMiss: [{ name: 'reload', report: log('LOG:  received SIGHUP, reloading configuration files (pg_hba.conf)') }],
  },
  'database.mysql-access-denied': {
    positive: [{ name: 'ERROR 1045', report: log("ERROR 1045 (28000): Access denied for user 'payments'@'10.42.1.17' (using password: YES)"), title: /'payments'@'10\.42\.1\.17'/ }],
    nearMiss: [{ name: 'grant', report: log("GRANT ALL ON payments.* TO 'payments'@'%'") }],
  },
  'database.postgres-lock-timeout': {
    positive: [{ name: 'ERROR 55P03', report: log("ERROR:  canceling statement due to lock timeout\nSTATEMENT:  ALTER TABLE invoices ADD COLUMN status text") }],
    nearMiss: [{ name: 'setting it', report: log("SET lock_timeout = '5s';") }],
  },
  'database.postgres-statement-timeout': {
    positive: [{ name: 'ERROR 57014', report: log('error: canceling statement due to statement timeout') }],
    nearMiss: [{ name: 'setting it', report: log("SET statement_timeout = '10min';") }],
  },
  'database.mysql-lock-wait-timeout': {
    positive: [{ name: 'ERROR 1205', report: log('ERROR 1205 (HY000) at line 3: Lock wait timeout exceeded; try restarting transaction') }],
    nearMiss: [{ name: 'variable', report: log('innodb_lock_wait_timeout=50') }],
  },
  'database.postgres-already-exists': {
    positive: [
      { name: 'relation (Flyway SQL error)', report: log(fixture('flyway-sql-error.log')), title: /Table "invoices" already exists/ },
      { name: 'column of relation', report: log('ERROR:  column "status" of relation "invoices" already exists'), title: /Column "status" of "invoices"/ },
    ],
    nearMiss: [{ name: 'IF NOT EXISTS notice', report: log('NOTICE:  relation "invoices" already exists, skipping') }],
  },
  'database.mysql-table-exists': {
    positive: [{ name: 'ERROR 1050', report: log("ERROR 1050 (42S01) at line 1: Table 'invoices' already exists") }],
    nearMiss: [{ name: 'IF NOT EXISTS note', report: log("Note (Code 1050): Table 'invoices' already exists") }],
  },
  'database.postgres-undefined-column': {
    positive: [{ name: 'ERROR 42703', report: log("ERROR:  column \"status\" does not exist\nLINE 1: UPDATE invoices SET status = 'open' WHERE status IS NULL"), title: /Column "status" does not exist/ }],
    nearMiss: [{ name: 'IF EXISTS notice', report: log('NOTICE:  column "legacy_flag" of relation "invoices" does not exist, skipping') }],
  },
  'database.mysql-unknown-column': {
    positive: [{ name: 'ERROR 1054', report: log("ERROR 1054 (42S22) at line 2: Unknown column 'status' in 'field list'") }],
    nearMiss: [{ name: 'summary', report: log('Unknown columns ignored: 0') }],
  },
  'database.disk-full': {
    positive: [
      { name: 'could not extend file', report: log('ERROR:  could not extend file "base/16384/24576.3": No space left on device\nHINT:  Check free disk space.'), title: /database server's disk is full/ },
      { name: 'ENOSPC in the pod', report: log("Error: ENOSPC: no space left on device, write\nOSError: [Errno 28] No space left on device: '/tmp/dump.sql'") },
    ],
    nearMiss: [{ name: 'disk check', report: log('checking free disk space: 45% used, 12 GiB left on device /dev/nvme0n1') }],
  },
  'database.mysql-disk-full': {
    positive: [{ name: 'ERROR 1114', report: log("ERROR 1114 (HY000) at line 4: The table 'invoices' is full") }],
    nearMiss: [{ name: 'fully migrated', report: log("The table 'invoices' is fully migrated") }],
  },
  'database.postgres-read-only': {
    positive: [{ name: 'ERROR 25006', report: log('ERROR:  cannot execute CREATE TABLE in a read-only transaction') }],
    nearMiss: [{ name: 'setting', report: log('SET default_transaction_read_only = off;') }],
  },
  'database.mysql-read-only': {
    positive: [{ name: 'ERROR 1290', report: log('ERROR 1290 (HY000) at line 1: The MySQL server is running with the --read-only option so it cannot execute this statement'), title: /--read-only/ }],
    nearMiss: [{ name: 'variable', report: log('read_only=OFF super_read_only=OFF') }],
  },

  // --- generic ----------------------------------------------------------------------------------
  'generic.migration-failed': {
    positive: [
      { name: 'Flyway, cause not recognised', report: log('ERROR: Migration of schema "public" to version "5 - create invoices" failed! Changes successfully rolled back.'), title: /Migration 5 - create invoices failed/ },
      { name: 'Liquibase', report: log('liquibase.exception.MigrationFailedException: Migration failed for changeset db/changelog.xml::2::alice:'), title: /db\/changelog\.xml::2::alice/ },
      { name: 'Rails', report: log('StandardError: An error has occurred, this and all later migrations canceled:') },
      { name: 'golang-migrate', report: log('error: migration failed: syntax error at or near "TABEL" (column 8) in line 1: CREATE TABEL invoices ();') },
    ],
    nearMiss: [
      { name: 'a summary with zero failures', report: log('Migrations: 3 applied, 0 failed') },
      { name: 'a job name', report: log('Running migration failed_jobs_cleanup') },
    ],
  },
};
