import type { Rule } from '../rule.js';
import { optional } from '../rule-text.js';

const DOCS = {
  podFailure: 'https://kubernetes.io/docs/tasks/debug/debug-application/determine-reason-pod-failure/',
} as const;

/**
 * The last resort: a migration tool said a migration failed, and no rule recognised why. Shown only when
 * nothing else matched (a fallback), so it never pushes down a real diagnosis.
 */
export const genericRules: Rule[] = [
  {
    id: 'generic.migration-failed',
    family: 'generic',
    severity: 'error',
    priority: 10,
    fallback: true,
    matcher: {
      kind: 'log',
      pattern: new RegExp(
        [
          // Flyway: 'Migration of schema "public" to version "2 - add users" failed! ...'
          String.raw`Migration of schema [^\n]{1,200}? to version "?(?<version>[^"\n]{1,100})"? failed`,
          // Flyway (older): "Migration V2__add_users.sql failed"
          String.raw`Migration (?<version2>[VRU][^\s]{1,200}\.sql) failed`,
          // Liquibase: "Migration failed for changeset db/changelog.xml::2::alice:"
          String.raw`Migration failed for change ?set (?<version3>[^\s]{1,300}?):?(?:\s|$)`,
          // Rails: "An error has occurred, this and all later migrations canceled"
          String.raw`this and all later migrations canceled`,
          // golang-migrate: "error: migration failed: ... in line 0: ..."
          String.raw`\bmigration failed\b`,
        ].join('|'),
        'i',
      ),
    },
    title: (ctx) => `Migration${optional(ctx, 'version', (v) => ` ${v}`)} failed`,
    hint: 'The lines just above this one in the log show the database error: fix the migration, undo any partial changes it left, then sync again.',
    docs: DOCS.podFailure,
  },
];
