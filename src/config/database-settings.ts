import { readFileSync } from 'node:fs';
import { errors, describeError, type ProblemDetail } from '../errors.js';
import { postgresUrlProblem } from '../store/postgres/pg-connection.js';
import type { Config } from './schema.js';

/** The file (a mounted Secret) holding the database password, for those who keep it out of the environment. */
export const DATABASE_PASSWORD_FILE_ENV = 'HOOK_ALERTS_DATABASE_PASSWORD_FILE';

/** The password in the file HOOK_ALERTS_DATABASE_PASSWORD_FILE names (without the trailing newline), or null when unset. */
export function readDatabasePasswordFile(env: NodeJS.ProcessEnv): string | null {
  const file = env[DATABASE_PASSWORD_FILE_ENV];
  if (file === undefined || file === '') return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw errors.configFile(file, `${DATABASE_PASSWORD_FILE_ENV} names it, and it cannot be read (${describeError(err)}): mount the Secret there or unset the variable`);
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '') throw errors.configFile(file, `${DATABASE_PASSWORD_FILE_ENV} names it, and it is empty: put the database password in it`);
  return password;
}

/**
 * The database settings checked together: a URL node-postgres can use (the message never shows it: it may
 * hold a password), and on PostgreSQL a lease longer than a send, because there another replica takes over
 * a delivery whose lease ran out while its send may still be running.
 */
export function databaseProblems(config: Config, sources: Map<string, string>): ProblemDetail[] {
  const { url } = config.store.postgres;
  if (url === undefined) return [];
  const problems: ProblemDetail[] = [];
  const source = sources.get('store.postgres.url');
  const urlProblem = postgresUrlProblem(url);
  if (urlProblem !== null) problems.push({ path: source === undefined ? 'store.postgres.url' : `store.postgres.url (from ${source})`, message: urlProblem });
  const { leaseMs, sendTimeoutMs } = config.worker;
  if (leaseMs <= sendTimeoutMs) {
    problems.push({
      path: 'worker.leaseMs',
      message: `must be longer than worker.sendTimeoutMs (${sendTimeoutMs}) with PostgreSQL: another replica takes over a lease that ran out, and a send still running would then be made twice`,
      found: String(leaseMs),
    });
  }
  return problems;
}
