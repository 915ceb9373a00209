import type { Rule } from '../rule.js';
import { group } from '../rule-text.js';

const DOCS = {
  commands: 'https://alembic.sqlalchemy.org/en/latest/api/commands.html',
  branches: 'https://alembic.sqlalchemy.org/en/latest/branches.html',
} as const;

/** Alembic: messages from alembic/script/base.py (ScriptDirectory._catch_revision_errors). */
export const alembicRules: Rule[] = [
  {
    id: 'alembic.unknown-revision',
    family: 'alembic',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Can't locate revision identified by '(?<revision>[^'\n]{1,128})'/ },
    title: (ctx) => `Alembic: revision '${group(ctx, 'revision') ?? '?'}' is not among this image's migration scripts`,
    hint: 'The database (alembic_version) is at a revision the image does not have, usually because an older image synced after a newer one migrated: deploy an image that contains it, or `alembic stamp` the right revision after checking the schema.',
    docs: DOCS.commands,
  },
  {
    id: 'alembic.multiple-heads',
    family: 'alembic',
    severity: 'critical',
    priority: 90,
    matcher: { kind: 'log', pattern: /Multiple head revisions are present for given argument '(?<argument>[^'\n]{1,64})'/ },
    title: 'Alembic: the migration scripts have more than one head',
    hint: 'Two revisions share the same down_revision (branches merged in git): create a merge revision with `alembic merge heads`, ship it, and sync again.',
    docs: DOCS.branches,
  },
];
