import type { Rule } from '../rule.js';
import { group } from '../rule-text.js';

const DOCS = {
  migrations: 'https://docs.djangoproject.com/en/stable/topics/migrations/',
  migrate: 'https://docs.djangoproject.com/en/stable/ref/django-admin/',
} as const;

/** Django: errors from django/db/migrations (loader.check_consistent_history, makemigrations/migrate). */
export const djangoRules: Rule[] = [
  {
    id: 'django.inconsistent-history',
    family: 'django',
    severity: 'critical',
    priority: 90,
    matcher: {
      kind: 'log',
      // The leftmost match wins: the optional prefix keeps the class name from hiding the migration names.
      pattern: /(?:InconsistentMigrationHistory: )?Migration (?<applied>[\w.]{1,200}) is applied before its dependency (?<dependency>[\w.]{1,200})|InconsistentMigrationHistory/,
    },
    title: (ctx) =>
      group(ctx, 'applied') === undefined
        ? 'Django: the migration history in the database is inconsistent'
        : `Django: ${group(ctx, 'applied') ?? ''} is applied but its dependency ${group(ctx, 'dependency') ?? ''} is not`,
    hint: 'django_migrations records a migration as applied before one it depends on (often a dependency added later, such as a custom user model): apply or fake only that dependency after checking its tables exist, never fake in bulk.',
    docs: DOCS.migrations,
  },
  {
    id: 'django.conflicting-migrations',
    family: 'django',
    severity: 'critical',
    priority: 90,
    matcher: {
      kind: 'log',
      pattern: /Conflicting migrations detected; multiple leaf nodes in the migration graph(?:: \((?<leaves>[^)\n]{1,300})\))?/,
    },
    title: (ctx) => `Django: conflicting migrations${group(ctx, 'leaves') === undefined ? '' : ` (${group(ctx, 'leaves') ?? ''})`}`,
    hint: 'Two branches added migrations with the same parent: run `python manage.py makemigrations --merge` in the repository, commit the merge migration and sync again.',
    docs: DOCS.migrate,
  },
];
