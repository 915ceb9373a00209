import type { Rule } from '../rule.js';
import { alembicRules } from './alembic.js';
import { databaseRules } from './databases.js';
import { djangoRules } from './django.js';
import { flywayRules } from './flyway.js';
import { genericRules } from './generic.js';
import { golangMigrateRules } from './golang-migrate.js';
import { kubernetesRules } from './kubernetes.js';
import { liquibaseRules } from './liquibase.js';
import { prismaRules } from './prisma.js';
import { railsRules } from './rails.js';

/** The whole rule table, one file per family. Order only breaks ties between equal priorities. */
export const RULES: readonly Rule[] = Object.freeze([
  ...kubernetesRules,
  ...flywayRules,
  ...liquibaseRules,
  ...alembicRules,
  ...prismaRules,
  ...golangMigrateRules,
  ...railsRules,
  ...djangoRules,
  ...databaseRules,
  ...genericRules,
]);
