import type { Rule } from '../rule.js';
import { group, optional } from '../rule-text.js';

const DOCS = {
  // Prisma's own messages link https://pris.ly/d/migrate-resolve, which redirects to this page.
  resolve: 'https://www.prisma.io/docs/orm/prisma-migrate/workflows/patching-and-hotfixing',
  p1001: 'https://www.prisma.io/docs/orm/reference/error-reference#p1001',
} as const;

/** Prisma Migrate: schema-engine errors P3009, P3018 and P1001 as `prisma migrate deploy` prints them. */
export const prismaRules: Rule[] = [
  {
    id: 'prisma.failed-migration-recorded',
    family: 'prisma',
    severity: 'critical',
    priority: 90,
    matcher: {
      kind: 'log',
      pattern: /migrate found failed migrations in the target database|Error: P3009/,
      detail: /The `(?<name>[^`\n]{1,200})` migration started at/,
    },
    title: (ctx) => `Prisma: migration${optional(ctx, 'name', (n) => ` ${n}`)} is recorded as failed, so no migration is applied (P3009)`,
    hint: (ctx) => {
      const name = group(ctx, 'name') ?? '<migration>';
      return `A previous deploy left ${name} failed in _prisma_migrations: undo its partial changes and run \`prisma migrate resolve --rolled-back ${name}\` (or complete it by hand and use --applied), then sync again.`;
    },
    docs: DOCS.resolve,
    supersedes: ['prisma.migration-failed'],
  },
  {
    id: 'prisma.migration-failed',
    family: 'prisma',
    severity: 'critical',
    priority: 60,
    matcher: {
      kind: 'log',
      pattern: /A migration failed to apply\. New migrations can ?not be applied|Error: P3018/,
      detail: /Migration name: (?<name>[^\s]{1,200})/,
    },
    title: (ctx) => `Prisma: migration${optional(ctx, 'name', (n) => ` ${n}`)} failed to apply (P3018)`,
    hint: (ctx) => {
      const name = group(ctx, 'name') ?? '<migration>';
      return `Fix the SQL (the database error is printed below the migration name), undo any partial changes, then run \`prisma migrate resolve --rolled-back ${name}\`: until then every deploy stops with P3009.`;
    },
    docs: DOCS.resolve,
  },
  {
    id: 'prisma.database-unreachable',
    family: 'prisma',
    severity: 'error',
    priority: 82,
    matcher: { kind: 'log', pattern: /(?:Error: P1001: )?Can't reach database server at `?(?<host>[^`\s]{1,255})`?(?::`?(?<port>\d{1,5})`?)?|Error: P1001/ },
    title: (ctx) =>
      `Prisma cannot reach the database server${optional(ctx, 'host', (h) => ` at ${h}${optional(ctx, 'port', (p) => `:${p}`)}`)} (P1001)`,
    hint: 'Check the host and port in DATABASE_URL, that the database is running, and that NetworkPolicy allows egress from the hook pod to it.',
    docs: DOCS.p1001,
    supersedes: ['database.connection-refused', 'database.connection-timeout'],
  },
];
