import t from 'tap';
import { loadConfig } from '../../../src/config/load-config.js';
import { createService } from '../../../src/main.js';
import { Metrics } from '../../../src/metrics.js';
import { RULES } from '../../../src/diagnose/rules/index.js';
import { capturingLogger } from '../../support/log-capture.js';
import { metricSample } from '../../support/prom-text.js';

// The alerter's own alarms read these series: each must exist at 0 from the start, so that the first
// dead delivery after a restart is an increase, and probes must not flood the log.

const TOKEN = 'own-metrics-token-0123456789';

t.test('every series an alert rule reads exists at 0 from start-up, with build info', async (t) => {
  const config = loadConfig({
    env: { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: ':memory:', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_CHANNEL: '#deploys' },
    overrides: { kubernetes: { enabled: 'false' }, worker: { enabled: false } },
  });
  const { logger } = capturingLogger('warn');
  const service = await createService(config, { logger, metrics: new Metrics({ defaultMetrics: false }) });
  t.teardown(() => service.close());
  const res = await service.app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  const text = res.body;
  for (const outcome of ['sent', 'retry', 'failed', 'dead']) {
    t.equal(metricSample(text, 'hook_alerts_deliveries_total', { sink: 'slack', outcome }), 0, `deliveries{slack,${outcome}} at 0`);
  }
  t.notOk(/hook_alerts_deliveries_total\{[^}]*sink="email"/.test(text), 'a sink that is off has no series');
  for (const outcome of ['accepted', 'duplicate', 'ignored', 'rejected']) {
    t.equal(metricSample(text, 'hook_alerts_events_total', { outcome }), 0, `events{${outcome}} at 0`);
  }
  t.equal(metricSample(text, 'hook_alerts_retries_total', { sink: 'slack', reason: 'rate_limited' }), 0);
  t.equal(metricSample(text, 'hook_alerts_enrich_partial_total', { what: 'logs' }), 0);
  const firstRule = RULES[0];
  if (firstRule !== undefined) t.equal(metricSample(text, 'hook_alerts_findings_total', { id: firstRule.id }), 0, 'each diagnosis rule has its series');
  const info = /^hook_alerts_build_info\{([^}]*)\} 1$/m.exec(text);
  t.ok(info, 'build info is 1');
  t.match(info?.[1] ?? '', /version="\d+\.\d+\.\d+[^"]*"/);
  t.match(info?.[1] ?? '', new RegExp(`node_version="${process.version.replace(/\./g, '\\.')}"`));
});

t.test('probes and scrapes are not logged at info; webhooks are', async (t) => {
  const config = loadConfig({
    env: { HOOK_ALERTS_TOKEN: TOKEN, HOOK_ALERTS_DATA_DIR: ':memory:' },
    overrides: { kubernetes: { enabled: 'false' }, worker: { enabled: false } },
  });
  const { logger, logs } = capturingLogger('info');
  const service = await createService(config, { logger, metrics: new Metrics({ defaultMetrics: false }) });
  t.teardown(() => service.close());
  for (const url of ['/healthz', '/readyz', '/metrics']) {
    t.equal((await service.app.inject({ method: 'GET', url })).statusCode, 200, url);
  }
  const probeLines = logs.filter((l) => JSON.stringify(l).match(/"url":"\/(healthz|readyz|metrics)"/));
  t.same(probeLines, [], 'no log line for a probe or a scrape');
  await service.app.inject({ method: 'POST', url: '/v1/argocd/events', headers: { authorization: 'Bearer wrong' }, payload: {} });
  t.ok(logs.some((l) => JSON.stringify(l).includes('/v1/argocd/events')), 'a webhook request is logged');
});
