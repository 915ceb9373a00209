import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/main.js';
import { KubeApiServer } from '../support/kube-api-server.js';
import { event, hookJob, jobPod, states } from '../support/kube-fixtures.js';
import { SlackApiServer } from '../support/slack-api-server.js';
import { SmtpTestServer } from '../support/smtp-test-server.js';
import { contractBody, loadApplication } from '../support/contract-bodies.js';
import { waitUntil } from '../support/service-http.js';

/**
 * Realistic secrets as migration tools, drivers and shells print them. Each `secret` is the part that must
 * never leave the service; `line` is the log line around it.
 */
const CORPUS: { secret: string; line: string }[] = [
  { secret: 'Pg5ecret-7781', line: 'DATABASE_URL=postgres://migrator:Pg5ecret-7781@db.payments.svc:5432/payments' },
  { secret: 'My5qlPass!x', line: 'connecting to mysql://root:My5qlPass!x@mysql:3306/app' },
  { secret: 'flyway-pass-3321', line: 'FLYWAY_PASSWORD=flyway-pass-3321' },
  { secret: 'hunter2-liquibase', line: 'liquibase.command.password: hunter2-liquibase' },
  { secret: 'pgpass-99ab', line: 'export PGPASSWORD="pgpass-99ab"' },
  { secret: 'sq1Passwd_', line: 'passwd=sq1Passwd_ user=admin' },
  { secret: 'jsonSecret-5566', line: '{"level":"info","msg":"config","password":"jsonSecret-5566","host":"db"}' },
  { secret: 'client-secret-8f7e6d', line: 'OAUTH_CLIENT_SECRET=client-secret-8f7e6d' },
  { secret: 'apikey-0a1b2c3d4e5f', line: 'api_key: apikey-0a1b2c3d4e5f' },
  { secret: 'sk_live_51HxQ2kLmNoPqRsTuV', line: 'STRIPE_API_KEY=sk_live_51HxQ2kLmNoPqRsTuV' },
  { secret: 'ghp_1234567890abcdefghijABCDEFGHIJ123456', line: 'token=ghp_1234567890abcdefghijABCDEFGHIJ123456' },
  { secret: 'xoxb-111-222-AbCdEfGhIjKl', line: 'SLACK_TOKEN: xoxb-111-222-AbCdEfGhIjKl' },
  { secret: 'Zm9vOmJhcg', line: 'Authorization: Basic Zm9vOmJhcg==' },
  { secret: 'opaque-bearer-token-42', line: 'curl -H "Authorization: Bearer opaque-bearer-token-42" https://api.internal' },
  { secret: 'AKIAIOSFODNN7EXAMPLE', line: 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE' },
  { secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', line: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
  {
    secret: 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0',
    line: 'session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c refreshed',
  },
  {
    secret: 'MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun',
    line: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----END RSA PRIVATE KEY-----',
  },
  { secret: 'custom-ACME-77aa99', line: 'loaded license ACME-LICENSE:custom-ACME-77aa99' },
];

t.test('no secret of the corpus reaches Slack, email, the file sink or the service logs', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const slack = new SlackApiServer({ channels: [{ id: 'C0DEPLOYS', name: 'deploys', member: true }] });
  await slack.start();
  t.teardown(() => slack.close());
  const smtp = new SmtpTestServer();
  await smtp.start();
  t.teardown(() => smtp.stop());
  const dir = t.testdir({});
  const kubeconfig = kube.writeKubeconfig(dir);

  const log = CORPUS.map((c) => c.line).join('\n') + '\nERROR: migration 42 failed\n';
  const job = kube.putJob(hookJob({ failed: 1, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:07:00Z' }] }));
  kube.putPod(
    jobPod(job, {
      name: 'db-migrate-s3cr3t',
      phase: 'Failed',
      createdAt: '2026-11-20T14:02:10Z',
      statuses: [{ name: 'migrate', state: states.terminated(1, 'Error', { message: 'password=flyway-pass-3321 rejected' }) }],
    }),
  );
  kube.setLog('payments', 'db-migrate-s3cr3t', 'migrate', log);
  kube.putEvent(event(job, { reason: 'BackoffLimitExceeded', type: 'Warning', message: 'token=opaque-bearer-token-42 expired' }));

  let serviceLog = '';
  const sinkStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      serviceLog += chunk.toString();
      done();
    },
  });
  t.teardown(() => { if (process.env.SHOW_LOG) console.error(serviceLog.split('\n').filter((l) => l.includes('custom-ACME') || l.includes('ACME-LICENSE')).join('\n').slice(0, 3000)); });
  // Debug level, so that whatever the libraries log at their most verbose is checked too.
  const config = configSchema.parse({
    dataDir: dir,
    server: { host: '127.0.0.1', port: 0, token: 'corpus-test-token-0123456789' },
    worker: { pollIntervalMs: 20 },
    // Call timeout and deadline only bound a hang: a loaded machine must not cut the enrichment short.
    kubernetes: { enabled: 'true', clusters: [{ server: 'https://kubernetes.default.svc', kubeconfig }], stuck: { enabled: false }, bounds: { callTimeoutMs: 60_000, deadlineMs: 120_000 } },
    scrub: { patterns: ['ACME-LICENSE:\\S+'] },
    slack: { token: slack.token, apiUrl: slack.apiUrl },
    email: { smtpUrl: smtp.url, from: 'alerts@example.com' },
    routing: { defaultRoute: { slack: ['C0DEPLOYS'], email: ['oncall@example.com'], file: true } },
    logging: { level: 'debug' },
  });
  const service = await startService(config, createLogger('debug', sinkStream));
  t.teardown(() => service.close());

  const res = await fetch(`${service.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: 'Bearer corpus-test-token-0123456789', 'content-type': 'application/json' },
    body: JSON.stringify(contractBody(loadApplication('presync-job-failed'), 'hook-failed')),
  });
  t.equal(res.status, 202);
  await waitUntil('the alert is delivered', () => slack.messages.length > 0 && smtp.mails.length > 0 && service.store.queueDepth().deliveries === 0);
  t.ok(slack.messages.length > 0 && smtp.mails.length > 0, 'the alert went to Slack and email');

  const outbox = join(dir, 'outbox');
  const outboxText = readdirSync(outbox, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json') || f.endsWith('.eml'))
    .map((f) => readFileSync(join(outbox, f), 'utf8'))
    .join('\n');
  const outputs: Record<string, string> = {
    slack: JSON.stringify(slack.messages),
    'email (raw MIME, decoded text, HTML and attachments)': smtp.mails
      .map((m) => [m.raw.toString(), m.parsed.text ?? '', m.parsed.html === false ? '' : m.parsed.html, ...m.parsed.attachments.map((a) => a.content.toString())].join('\n'))
      .join('\n'),
    'file sink': outboxText,
    'service logs': serviceLog,
  };
  t.match(outputs.slack, /migration 42 failed/, 'the log itself did reach Slack');
  t.match(outputs['file sink'], /migration 42 failed/, 'and the file sink');
  t.notMatch(serviceLog, /migration 42 failed/, 'no log body in the service logs, even at debug level');
  for (const [where, text] of Object.entries(outputs)) {
    const leaked = CORPUS.filter((c) => text.includes(c.secret)).map((c) => c.secret);
    t.same(leaked, [], `no secret in ${where}`);
  }
});
