import t from 'tap';
import { SlackApiServer } from '../../support/slack-api-server.js';
import { buildSinks } from '../../../src/deliver/sink-selection.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { Metrics } from '../../../src/metrics.js';
import { sampleAlert } from '../../support/sample-alerts.js';
import { startConnectProxy } from '../../support/connect-proxy.js';

async function sendThrough(t: { teardown(fn: () => unknown): void }, server: SlackApiServer, proxyEnv: NodeJS.ProcessEnv): Promise<string> {
  const config = loadConfig({ env: { SLACK_BOT_TOKEN: server.token, SLACK_API_URL: server.apiUrl, SLACK_CHANNEL: '#deploys' }, overrides: { slack: { requestTimeoutMs: 120_000 } } });
  const sinks = buildSinks(config, new Set(['slack']), { logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }), env: proxyEnv });
  const sink = sinks.get('slack');
  if (sink === undefined) throw new Error('no Slack sink');
  t.teardown(() => sink.close());
  const alert = sampleAlert('presync-job-failed');
  const outcome = await sink.send({ deliveryId: 1, address: '#deploys', attempt: 1, alert, threadRootRef: null, resumed: false, route: { mentions: [], logs: true }, firstAttemptAt: Date.now() });
  return outcome.status;
}

t.test('HTTP(S)_PROXY: Slack calls are tunnelled through a CONNECT proxy', async (t) => {
  const server = await SlackApiServer.start();
  t.teardown(() => server.close());
  const proxy = await startConnectProxy(t);
  const host = new URL(server.apiUrl).host;
  t.equal(await sendThrough(t, server, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url }), 'sent');
  t.ok(proxy.targets.length > 0, 'the proxy was asked to connect');
  t.ok(proxy.targets.every((target) => target === host), `every tunnel goes to the Slack API (${host})`);
});

t.test('NO_PROXY: a listed host is reached directly; lower-case names count too', async (t) => {
  const server = await SlackApiServer.start();
  t.teardown(() => server.close());
  const proxy = await startConnectProxy(t);
  t.equal(await sendThrough(t, server, { http_proxy: proxy.url, no_proxy: '127.0.0.1' }), 'sent');
  t.same(proxy.targets, [], 'nothing went through the proxy');
});

t.test('no proxy variables: the global fetch, no proxy', async (t) => {
  const server = await SlackApiServer.start();
  t.teardown(() => server.close());
  t.equal(await sendThrough(t, server, {}), 'sent');
});
