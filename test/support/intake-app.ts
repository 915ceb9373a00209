import type { FastifyInstance } from 'fastify';
import { loadConfig, type JsonObject } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/schema.js';
import { buildApp } from '../../src/intake/build-app.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/** An intake app on an in-memory store, as tests build it. */
export function buildTestApp(
  env: NodeJS.ProcessEnv = {},
  opts: { logger?: Logger; overrides?: JsonObject } = {},
): { app: FastifyInstance; store: SqliteStore; config: Config; metrics: Metrics } {
  const config = loadConfig({ env: { HOOK_ALERTS_TOKEN: TEST_TOKEN, HOOK_ALERTS_DATA_DIR: ':memory:', ...env }, ...(opts.overrides === undefined ? {} : { overrides: opts.overrides }) });
  const store = SqliteStore.open(':memory:');
  const metrics = new Metrics({ defaultMetrics: false });
  const app = buildApp({ config, store, metrics, logger: opts.logger ?? createLogger('silent') });
  return { app, store, config, metrics };
}

export const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
