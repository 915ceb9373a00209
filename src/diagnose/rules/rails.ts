import type { Rule } from '../rule.js';
import { group } from '../rule-text.js';

const DOCS = {
  migrations: 'https://guides.rubyonrails.org/active_record_migrations.html',
} as const;

/** Rails (ActiveRecord): errors from activerecord/lib/active_record/migration.rb and the PG/MySQL adapters. */
export const railsRules: Rule[] = [
  {
    id: 'rails.pending-migrations',
    family: 'rails',
    severity: 'error',
    priority: 90,
    matcher: { kind: 'log', pattern: /ActiveRecord::PendingMigrationError|Migrations are pending\. To resolve this issue, run/ },
    title: 'Rails: the hook loaded the app while migrations were still pending',
    hint: 'The hook ran something that checks for pending migrations (the app, or a task that boots it) before migrating: make the hook\'s command `bin/rails db:migrate` (or run it first).',
    docs: DOCS.migrations,
  },
  {
    id: 'rails.concurrent-migration',
    family: 'rails',
    severity: 'error',
    priority: 90,
    matcher: {
      kind: 'log',
      pattern: /ActiveRecord::ConcurrentMigrationError|Cannot run migrations because another migration process is currently running/,
    },
    title: 'Rails: another migration process holds the migration lock',
    hint: 'A second db:migrate holds the advisory lock: another hook Job, app pods that migrate at boot, or a previous attempt still running. Make the hook the only thing that migrates, then sync again.',
    docs: DOCS.migrations,
  },
  {
    id: 'rails.duplicate-table',
    family: 'rails',
    severity: 'error',
    priority: 85,
    matcher: {
      kind: 'log',
      pattern: /PG::DuplicateTable: [^\n]{0,40}relation "(?<table>[^"]{1,128})" already exists|Mysql2::Error: Table '(?<table2>[^']{1,192})' already exists/,
    },
    title: (ctx) => `Rails: table ${group(ctx, 'table') ?? '?'} already exists, but its migration is not recorded`,
    hint: 'schema_migrations says this migration never ran, yet its table exists (an earlier partial run or a manual change): check the table, then drop it or insert the migration\'s version into schema_migrations.',
    docs: DOCS.migrations,
    supersedes: ['database.postgres-already-exists', 'database.mysql-table-exists'],
  },
];
