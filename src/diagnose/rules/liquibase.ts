import type { Rule } from '../rule.js';
import { group, optional } from '../rule-text.js';

const DOCS = {
  releaseLocks: 'https://docs.liquibase.com/commands/utility/release-locks.html',
  clearChecksums: 'https://docs.liquibase.com/commands/utility/clear-checksums.html',
} as const;

/** Liquibase: messages from StandardLockService and ValidationFailedException (liquibase-core.properties). */
export const liquibaseRules: Rule[] = [
  {
    id: 'liquibase.lock-held',
    family: 'liquibase',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Could not acquire change log lock\. {1,4}Currently locked by (?<owner>[^\n]{1,200})/ },
    title: (ctx) => `Liquibase: the change log lock is held by ${group(ctx, 'owner') ?? 'another process'}`,
    hint: 'Another Liquibase run holds DATABASECHANGELOGLOCK, or a killed run (OOM, deadline, Argo CD termination) left it behind: if no other migration is running, run `liquibase release-locks` and sync again.',
    docs: DOCS.releaseLocks,
  },
  {
    id: 'liquibase.checksum-changed',
    family: 'liquibase',
    severity: 'critical',
    priority: 90,
    matcher: {
      kind: 'log',
      // "1 changesets check sum" ("change sets" before 4.x), then one line per changeset:
      // "<file>::<id>::<author> was: 9:abc... but is now: 9:def...".
      // Starts at the words, not the count: a leading \d would be tried at every digit of a noisy log.
      pattern: / change ?sets check sum/,
      detail: /(?<changeset>[^\s]{1,300}) was: \d{1,2}:[0-9a-f]{1,64} but is now: /,
      detailIsEvidence: true,
    },
    title: (ctx) => `Liquibase: an applied changeset${optional(ctx, 'changeset', (c) => ` (${c})`)} was modified (checksum validation failed)`,
    hint: 'Revert the edit to the applied changeset and add a new changeset instead; if the change is intended, add a validCheckSum for it or run `liquibase clear-checksums`.',
    docs: DOCS.clearChecksums,
  },
];
