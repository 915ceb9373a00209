import t from 'tap';
import { loadConfig } from '../../../src/config/load-config.js';
import { buildSinks } from '../../../src/deliver/sink-selection.js';
import { createLogger } from '../../../src/logger.js';
import { Metrics } from '../../../src/metrics.js';
import { startConnectProxy } from '../../support/connect-proxy.js';
import { sampleAlert } from '../../support/sample-alerts.js';
import { SmtpTestServer } from '../../support/smtp-test-server.js';

const alert = sampleAlert('presync-job-failed');

async function sendEmail(t: { teardown(fn: () => unknown): void }, env: NodeJS.ProcessEnv): Promise<string> {
  const config = loadConfig({ env: { EMAIL_FROM: 'alerts@example.com', EMAIL_TO: 'oncall@example.com', ...env }, overrides: { email: { connectionTimeoutMs: 120_000, socketTimeoutMs: 120_000 } } });
  const sink = buildSinks(config, new Set(['email']), { logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }), env }).get('email');
  if (sink === undefined) throw new Error('no email sink');
  t.teardown(() => sink.close());
  return (await sink.send({ deliveryId: 1, address: 'oncall@example.com', attempt: 1, alert, threadRootRef: null, resumed: false, route: { mentions: [], logs: true }, firstAttemptAt: Date.now() })).status;
}

t.test('SMTP_PROXY: the SMTP connection is tunnelled through a CONNECT proxy, with its credentials', async (t) => {
  const proxy = await startConnectProxy(t);
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const withUser = proxy.url.replace('http://', 'http://egress:pa55@');
  t.equal(await sendEmail(t, { SMTP_URL: smtp.url, SMTP_PROXY: withUser }), 'sent');
  t.same(proxy.targets, [`127.0.0.1:${smtp.port}`], 'one tunnel, to the SMTP server');
  t.same(proxy.authorizations, [`Basic ${Buffer.from('egress:pa55').toString('base64')}`]);
  t.equal(smtp.mails.length, 1);
});

t.test('HTTPS_PROXY alone does not carry SMTP (most egress proxies tunnel port 443 only)', async (t) => {
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const proxy = await startConnectProxy(t);
  t.equal(await sendEmail(t, { SMTP_URL: smtp.url, HTTPS_PROXY: proxy.url }), 'sent');
  t.same(proxy.targets, []);
});

t.test('a socks or malformed SMTP_PROXY is a config error that does not print the URL', async (t) => {
  let problem = '';
  try {
    loadConfig({ env: { SMTP_URL: 'smtp://a@b:587', SMTP_PROXY: 'socks5://user:secret-pw@proxy:1080' } });
  } catch (err) {
    problem = JSON.stringify({ message: String(err), ...(err as object) });
  }
  t.match(problem, /email\.proxy.*socks is not supported/);
  t.notMatch(problem, /secret-pw/, 'the URL (its password) is not printed');
});
