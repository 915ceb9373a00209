import type { Rule } from '../rule.js';
import { group } from '../rule-text.js';

// Flyway's own reference pages (documentation.red-gate.com mirrors flyway/flyway's documentation/ tree).
const DOCS = {
  validate: 'https://documentation.red-gate.com/flyway/reference/commands/validate',
  repair: 'https://documentation.red-gate.com/flyway/reference/commands/repair',
  baseline: 'https://documentation.red-gate.com/flyway/reference/commands/baseline',
} as const;

/**
 * Flyway: messages from flyway-core (MigrationInfoImpl.validate, DbMigrate, Flyway.migrate). A validation
 * failure prints "Validate failed: Migrations have failed validation" followed by the specific reasons;
 * the specific rules supersede the generic one.
 */
export const flywayRules: Rule[] = [
  {
    id: 'flyway.checksum-mismatch',
    family: 'flyway',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Migration checksum mismatch for migration (?:version )?(?<version>[^\s]{1,100})/ },
    title: (ctx) => `Flyway: migration ${group(ctx, 'version') ?? '?'} was changed after it was applied (checksum mismatch)`,
    hint: 'Revert the edit to the applied migration file and ship the change as a new migration; only if the edit is cosmetic, run `flyway repair` to record the new checksum.',
    docs: DOCS.validate,
    supersedes: ['flyway.validate-failed'],
  },
  {
    id: 'flyway.failed-migration-in-history',
    family: 'flyway',
    severity: 'critical',
    priority: 90,
    matcher: {
      kind: 'log',
      pattern: /Detected failed migration to version (?<version>[^\s(]{1,100})|contains a failed migration to version (?<version2>[^\s!]{1,100})/,
    },
    title: (ctx) => `Flyway: migration ${group(ctx, 'version') ?? '?'} is recorded as failed in the schema history`,
    hint: 'An earlier attempt failed half-way and Flyway refuses to go on: undo its partial changes by hand (non-transactional DDL stays applied), run `flyway repair` to remove the failed entry, then sync again.',
    docs: DOCS.repair,
    supersedes: ['flyway.validate-failed'],
  },
  {
    id: 'flyway.non-empty-schema',
    family: 'flyway',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Found non-empty schema\(s\) (?<schemas>[^\n]{1,200}?) but no schema history table/ },
    title: (ctx) => `Flyway: schema ${group(ctx, 'schemas') ?? '?'} has tables but no schema history table`,
    hint: 'Flyway is pointed at a database it has never managed, or its history table was dropped or renamed: check the URL, schemas and table settings first; if the schema really is at a known version, run `flyway baseline` with that baselineVersion.',
    docs: DOCS.baseline,
  },
  {
    id: 'flyway.applied-not-resolved',
    family: 'flyway',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Detected applied migration not resolved locally: (?<version>[^\s]{1,100})/ },
    title: (ctx) => `Flyway: the database has migration ${(group(ctx, 'version') ?? '?').replace(/\.$/, '')} that this image does not contain`,
    hint: 'Usually an older image synced after a newer one migrated (a rollback): deploy an image that contains the migration, or, for an intended rollback, set ignoreMigrationPatterns to "*:missing".',
    docs: DOCS.validate,
    supersedes: ['flyway.validate-failed'],
  },
  {
    id: 'flyway.validate-failed',
    family: 'flyway',
    severity: 'critical',
    priority: 70,
    matcher: { kind: 'log', pattern: /Validate failed: (?<reason>[^\n]{1,200})/ },
    title: 'Flyway: the migrations on disk and the schema history disagree (validate failed)',
    hint: 'Read the validation messages after this line in the log (changed, missing or unapplied migrations); fix the migration files rather than the history, and use `flyway repair` only for intended changes.',
    docs: DOCS.validate,
  },
];
