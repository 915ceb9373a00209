import type { ProblemDetail } from '../errors.js';
import { postgresUrlProblem } from '../store/postgres/pg-connection.js';
import type { Config } from './schema.js';

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
