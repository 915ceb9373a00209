import type { Rule } from '../rule.js';
import { group } from '../rule-text.js';

const DOCS = {
  force: 'https://github.com/golang-migrate/migrate/blob/master/GETTING_STARTED.md#forcing-your-database-version',
} as const;

/** golang-migrate: ErrDirty from migrate.go ("Dirty database version %v. Fix and force version."). */
export const golangMigrateRules: Rule[] = [
  {
    id: 'golang-migrate.dirty',
    family: 'golang-migrate',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Dirty database version (?<version>-?\d{1,20})\. Fix and force version/ },
    title: (ctx) => `golang-migrate: the database is dirty at version ${group(ctx, 'version') ?? '?'}`,
    hint: (ctx) => {
      const v = group(ctx, 'version');
      const n = v === undefined ? Number.NaN : Number(v);
      const previous = Number.isSafeInteger(n) ? String(n - 1) : '<previous version>';
      return `Migration ${v ?? 'N'} failed half-way in an earlier run: check what it applied and fix the database by hand, then \`migrate force ${v ?? 'N'}\` if it completed or \`migrate force ${previous}\` to run it again.`;
    },
    docs: DOCS.force,
  },
];
