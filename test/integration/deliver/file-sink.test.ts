import t from 'tap';
import { readFile, unlink } from 'node:fs/promises';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SmtpTestServer } from '../../support/smtp-test-server.js';
import { buildSinks } from '../../../src/deliver/sink-selection.js';
import { createRouteOptions } from '../../../src/route/route-alert.js';
import type { RouteOptions } from '../../../src/model/sink.js';
import { loadConfig, type JsonObject } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { Metrics } from '../../../src/metrics.js';
import type { FileSink } from '../../../src/deliver/file-sink.js';
import { resolvedAlert, sampleAlert } from '../../support/sample-alerts.js';

type DeliveryContext = Parameters<FileSink['send']>[0];
type Alert = DeliveryContext['alert'];
type SinkLike = Pick<FileSink, 'send' | 'close'>;

const logger = createLogger('silent');
const FROM = 'Hook Alerts <alerts@example.com>';
const TO = 'oncall@example.com';

/** The sink `serve` would build for this environment (main.ts wires the renderers). */
function sinkFor(env: Record<string, string>, name: 'file' | 'email'): SinkLike {
  const sink = buildSinks(loadConfig({ env }), new Set([name]), { logger, metrics: new Metrics({ defaultMetrics: false }) }).get(name);
  if (sink === undefined) throw new Error(`no ${name} sink`);
  return sink;
}

let nextId = 1;
function ctx(alert: Alert, address: string, threadRootRef: string | null, route: RouteOptions = { mentions: [], logs: true }): DeliveryContext {
  return { deliveryId: nextId++, address, attempt: 1, alert, threadRootRef, resumed: false, route, firstAttemptAt: Date.now() };
}

/** Send an incident's first alert, a retry and its resolution, each replying to the first ref, as the worker does. */
async function sendIncident(sink: SinkLike, address: string): Promise<string[]> {
  const first = sampleAlert('presync-job-retrying');
  const failed = { ...sampleAlert('presync-job-failed'), incidentId: first.incidentId };
  const refs: string[] = [];
  let root: string | null = null;
  for (const alert of [first, failed, resolvedAlert(first.incidentId)]) {
    const outcome = await sink.send(ctx(alert, address, root));
    if (outcome.status !== 'sent' || outcome.ref === null) throw new Error(`not sent: ${JSON.stringify(outcome)}`);
    refs.push(outcome.ref);
    root ??= outcome.ref;
  }
  return refs;
}

const THREAD_HEADERS = ['message-id', 'in-reply-to', 'references', 'subject', 'x-hook-alerts-incident', 'x-hook-alerts-kind', 'auto-submitted'];

function threadHeaders(mail: ParsedMail): Record<string, unknown> {
  return Object.fromEntries(THREAD_HEADERS.map((h) => [h, mail.headers.get(h)]));
}

t.test('the outbox .eml carries the headers the SMTP sink sends, In-Reply-To and References included', async (t) => {
  const smtp = await SmtpTestServer.start();
  t.teardown(() => smtp.close());
  const email = sinkFor({ SMTP_URL: smtp.url, EMAIL_FROM: FROM, EMAIL_TO: TO }, 'email');
  t.teardown(() => email.close());
  const file = sinkFor({ HOOK_ALERTS_DATA_DIR: t.testdir({}), EMAIL_FROM: FROM, EMAIL_TO: TO }, 'file');
  t.teardown(() => file.close());

  await sendIncident(email, TO);
  const refs = await sendIncident(file, 'outbox');
  const written = await Promise.all(refs.map(async (ref) => simpleParser(await readFile(`${ref}.eml`))));
  const sent = smtp.mails.map((m) => m.parsed);
  t.equal(sent.length, 3);
  t.equal(written.length, 3);

  const [root, retry, resolved] = written;
  if (root === undefined || retry === undefined || resolved === undefined) return;
  t.equal(root.inReplyTo, undefined, 'the first mail replies to nothing');
  t.match(root.messageId, /^<inc_\w+\.retrying-1@example\.com>$/);
  t.equal(retry.inReplyTo, root.messageId, 'a later mail replies to the first one');
  t.equal(retry.references, root.messageId);
  t.equal(resolved.inReplyTo, root.messageId);
  t.equal(resolved.references, root.messageId);
  written.forEach((mail, i) => t.same(threadHeaders(mail), threadHeaders(sent[i] ?? mail), `mail ${i + 1}: the same headers as sent over SMTP`));
});

t.test('a mail whose thread root was removed from the outbox starts a thread of its own', async (t) => {
  const file = sinkFor({ HOOK_ALERTS_DATA_DIR: t.testdir({}), EMAIL_FROM: FROM }, 'file');
  t.teardown(() => file.close());
  const first = sampleAlert('presync-job-retrying');
  const root = await file.send(ctx(first, 'outbox', null));
  if (root.status !== 'sent' || root.ref === null) return t.fail('root not written');
  await unlink(`${root.ref}.eml`);
  const failed = { ...sampleAlert('presync-job-failed'), incidentId: first.incidentId };
  const next = await file.send(ctx(failed, 'outbox', root.ref));
  if (next.status !== 'sent' || next.ref === null) return t.fail(`not written: ${JSON.stringify(next)}`);
  const mail = await simpleParser(await readFile(`${next.ref}.eml`));
  t.equal(mail.inReplyTo, undefined);
  t.equal(mail.references, undefined);
  t.equal(mail.messageId, `<${first.incidentId}.failed@example.com>`);
});

t.test('a route with logs: false keeps log bodies out of the outbox, as out of Slack and email', async (t) => {
  const alert = sampleAlert('presync-job-failed');
  const written = async (overrides: JsonObject): Promise<{ mail: ParsedMail; slack: string }> => {
    const dir = t.testdir({});
    const config = loadConfig({ env: { HOOK_ALERTS_DATA_DIR: dir }, overrides });
    const sink = buildSinks(config, new Set(['file']), { logger, metrics: new Metrics({ defaultMetrics: false }) }).get('file');
    if (sink === undefined) throw new Error('no file sink');
    t.teardown(() => sink.close());
    // The route options as the worker computes them for this delivery.
    const route = createRouteOptions(config.routing)(alert.event, 'file:outbox');
    const outcome = await sink.send(ctx(alert, 'outbox', null, route));
    if (outcome.status !== 'sent' || outcome.ref === null) throw new Error(`not written: ${JSON.stringify(outcome)}`);
    return { mail: await simpleParser(await readFile(`${outcome.ref}.eml`)), slack: await readFile(`${outcome.ref}.slack.json`, 'utf8') };
  };
  const withLogs = await written({});
  t.equal(withLogs.mail.attachments.length, 1, 'by default the log is attached');
  t.match(withLogs.slack, /SQLSTATE 23502/, 'and in the Slack message');

  const without = await written({ routing: { defaultRoute: { logs: false } } });
  t.equal(without.mail.attachments.length, 0, 'no log attached');
  t.notMatch(without.mail.text, /SQLSTATE 23502/);
  t.match(without.mail.text, /log body left out by this route, logs: false/);
  t.notMatch(without.slack, /SQLSTATE 23502/);
  t.match(without.slack, /Log body left out by this route/);
});
