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
import { sqliteStoreOf } from '../support/sqlite-service-store.js';

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

/**
 * One secret per source other than the log, each distinct, so that a leak names its source: the webhook
 * body (Argo CD copies Kubernetes validation errors, which echo env values, into these messages), container
 * messages, Kubernetes events and the pod name.
 */
const SOURCES: { source: string; secret: string }[] = [
  { source: 'webhook operationState.message', secret: 'Op5tate-Secret-91' },
  { source: "webhook hook (sync result resource) message", secret: 'HookMsg-Secret-7a7b' },
  { source: 'container terminated message', secret: 'TermMsg-Secret-55' },
  { source: 'container waiting message', secret: 'WaitMsg-Secret-12' },
  { source: 'Kubernetes event message', secret: 'EventMsg-Secret-66' },
  { source: 'pod name', secret: 'xoxb-123456789012-abcdefghijkl' },
];

t.test('no secret of the corpus reaches Slack, email, the file sink or the service logs', async (t) => {
  const kube = await KubeApiServer.start();
  t.teardown(() => kube.close());
  const slack = await SlackApiServer.start({ channels: [{ id: 'C0DEPLOYS', name: 'deploys', member: true }] });
  t.teardown(() => slack.close());
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const dir = t.testdir({});
  const kubeconfig = kube.writeKubeconfig(dir);

  const log = CORPUS.map((c) => c.line).join('\n') + '\nERROR: migration 42 failed\n';
  const job = kube.putJob(hookJob({ failed: 1, conditions: [{ type: 'Failed', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', at: '2026-11-20T14:07:00Z' }] }));
  kube.putPod(
    jobPod(job, {
      name: 'db-migrate-s3cr3t',
      phase: 'Failed',
      createdAt: '2026-11-20T14:02:10Z',
      statuses: [
        { name: 'migrate', state: states.terminated(1, 'Error', { message: 'password=flyway-pass-3321 rejected; mysql -h db -pTermMsg-Secret-55 app' }) },
        { name: 'sidecar', state: states.waiting('CreateContainerConfigError', 'couldn\'t start: DB_PASS=WaitMsg-Secret-12 is invalid') },
      ],
    }),
  );
  kube.setLog('payments', 'db-migrate-s3cr3t', 'migrate', log);
  // A pod whose name itself looks like a token (a generated name is not checked by anyone).
  kube.putPod(jobPod(job, { name: 'xoxb-123456789012-abcdefghijkl', phase: 'Failed', createdAt: '2026-11-20T14:03:10Z', statuses: [{ name: 'migrate', state: states.terminated(1, 'Error') }] }));
  kube.setLog('payments', 'xoxb-123456789012-abcdefghijkl', 'migrate', 'ERROR: second attempt failed\n');
  kube.putEvent(event(job, { reason: 'BackoffLimitExceeded', type: 'Warning', message: 'token=opaque-bearer-token-42 expired; sshpass -p EventMsg-Secret-66 ssh db' }));

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
  // The pipeline thread's lines go to the same stream: every line the service writes is checked.
  const service = await startService(config, createLogger('debug', sinkStream), { logStream: sinkStream });
  t.teardown(() => service.close());

  const res = await fetch(`${service.url}/v1/argocd/events`, {
    method: 'POST',
    headers: { authorization: 'Bearer corpus-test-token-0123456789', 'content-type': 'application/json' },
    body: JSON.stringify(bodyWithSecrets()),
  });
  t.equal(res.status, 202);
  await waitUntil('the alert is delivered', () => slack.messages.length > 0 && smtp.mails.length > 0 && sqliteStoreOf(service).queueDepth().deliveries === 0);
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
  t.match(outputs.slack, /Invalid value/, 'the operation message did reach Slack');
  t.match(outputs.slack, /CreateContainerConfigError/, 'and the waiting container');
  for (const [where, text] of Object.entries(outputs)) {
    const leaked = CORPUS.filter((c) => text.includes(c.secret)).map((c) => c.secret);
    t.same(leaked, [], `no secret of the log corpus in ${where}`);
    for (const { source, secret } of SOURCES) {
      // The service's own logs name the pods they read, so that an operator can find them; they carry no
      // texts from the cluster or the webhook.
      if (where === 'service logs' && source === 'pod name') continue;
      t.notOk(text.includes(secret), `no secret from the ${source} in ${where}`);
    }
  }
});

/** The presync-job-failed body with secrets in the operation's message and the failed hook's message. */
function bodyWithSecrets(): ReturnType<typeof contractBody> {
  const body = contractBody(loadApplication('presync-job-failed'), 'hook-failed');
  const text = JSON.stringify(body)
    .replace(
      'one or more synchronization tasks completed unsuccessfully',
      'Job.batch \\"db-migrate\\" is invalid: spec.template.spec.containers[0].env[3]: Invalid value: \\"DB_PASS=Op5tate-Secret-91\\"',
    )
    .replace('"message":"Job has reached the specified backoff limit"', '"message":"Job has reached the specified backoff limit; SECRET_KEY_BASE=HookMsg-Secret-7a7b"');
  if (!text.includes('Op5tate-Secret-91') || !text.includes('HookMsg-Secret-7a7b')) throw new Error('the fixture changed: plant the secrets elsewhere');
  return JSON.parse(text) as ReturnType<typeof contractBody>;
}
