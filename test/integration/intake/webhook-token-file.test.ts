import t from 'tap';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/load-config.js';
import { buildApp } from '../../../src/intake/build-app.js';
import { Metrics } from '../../../src/metrics.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { capturingLogger } from '../../support/log-capture.js';
import { contractBody, loadApplication } from '../../support/contract-bodies.js';

const FIRST = 'first-token-0123456789abcdef';
const SECOND = 'second-token-0123456789abcdef';

t.test('HOOK_ALERTS_TOKEN_FILE: a rotated token is taken without a restart; a broken file keeps the last good one', async (t) => {
  const dir = t.testdir({ token: `${FIRST}\n` });
  const file = join(dir, 'token');
  const config = loadConfig({ env: { HOOK_ALERTS_TOKEN_FILE: file, HOOK_ALERTS_DATA_DIR: ':memory:' } });
  t.equal(config.server.token, FIRST, 'read at start, without the trailing newline');
  const store = SqliteStore.open(':memory:');
  t.teardown(() => store.close());
  let now = Date.parse('2026-12-03T08:00:00Z');
  const { logger, logs } = capturingLogger('info');
  const app = buildApp({ config, store, metrics: new Metrics({ defaultMetrics: false }), logger, clock: () => new Date(now) });
  t.teardown(() => app.close());
  const status = async (token: string): Promise<number> =>
    (
      await app.inject({
        method: 'POST',
        url: '/v1/argocd/events',
        headers: { authorization: `Bearer ${token}` },
        payload: contractBody(loadApplication('presync-job-failed'), 'hook-failed'),
      })
    ).statusCode;

  t.equal(await status(FIRST), 202);
  writeFileSync(file, `${SECOND}\n`);
  now += 1_000;
  t.equal(await status(SECOND), 202, 'the new token is taken once the file changed');
  t.equal(await status(FIRST), 401, 'the old one is refused');
  t.ok(logs.some((l) => /webhook token changed/.test(String(l.msg))), 'the change is logged');

  writeFileSync(file, 'short\n');
  now += 1_000;
  t.equal(await status(SECOND), 202, 'a token too short to be one is not taken');
  rmSync(file);
  now += 1_000;
  t.equal(await status(SECOND), 202, 'nor a missing file');
  const errorsLogged = logs.filter((l) => l.level === 50).map((l) => String(l.msg));
  t.equal(errorsLogged.length, 1, 'told once per failure streak');
  t.match(errorsLogged[0], /at least 16 characters; the previous webhook token stays in use/);
  t.notOk(JSON.stringify(logs).includes(SECOND) || JSON.stringify(logs).includes(FIRST), 'no token in the log');

  writeFileSync(file, FIRST);
  now += 1_000;
  t.equal(await status(FIRST), 202, 'a fixed file is taken again');
});
