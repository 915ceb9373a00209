import t from 'tap';
import { buildSinks } from '../../../src/deliver/sink-selection.js';
import { FileSink } from '../../../src/deliver/file-sink.js';
import { slackOutcome } from '../../../src/deliver/slack-sink.js';
import { smtpOutcome } from '../../../src/deliver/email-sink.js';
import { withSendTimeout } from '../../../src/deliver/sink-wrappers.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/logger.js';
import { Metrics } from '../../../src/metrics.js';
import type { Alert } from '../../../src/model/alert.js';
import type { DeliveryContext } from '../../../src/model/sink.js';
import { sampleAlert } from '../../support/sample-alerts.js';

const logger = createLogger('silent');

function ctx(alert: Alert): DeliveryContext {
  return { deliveryId: 1, address: 'outbox', attempt: 1, alert, threadRootRef: null, resumed: false, route: { mentions: [], logs: true }, firstAttemptAt: Date.now() };
}

function poisoned(): Alert {
  const alert = sampleAlert('presync-job-failed');
  return { ...alert, event: { ...alert.event, argocdUrl: 'https://argocd.example.com', app: { ...alert.event.app, name: 'pay\ud800ments' } } };
}

t.test('an event stored with a lone surrogate is delivered by the file sink, the surrogate shown', async (t) => {
  const dir = t.testdir();
  const sink = buildSinks(loadConfig({ env: { HOOK_ALERTS_DATA_DIR: dir } }), new Set(['file']), { logger, metrics: new Metrics({ defaultMetrics: false }) }).get('file');
  if (sink === undefined) throw new Error('no file sink');
  t.teardown(() => sink.close());
  const outcome = await sink.send(ctx(poisoned()));
  t.equal(outcome.status, 'sent', JSON.stringify(outcome));
});

t.test('an encoding error is a permanent failure that says so, in every sink and the wrapper', async (t) => {
  const malformed = (): never => {
    encodeURIComponent('\ud800');
    throw new Error('unreachable: encodeURIComponent accepted a lone surrogate');
  };
  const file = new FileSink(t.testdir(), { slack: malformed, email: malformed });
  const outcome = await file.send(ctx(sampleAlert('presync-job-failed')));
  t.equal(outcome.status, 'failed');
  if (outcome.status === 'failed') {
    t.match(outcome.error, /cannot be encoded \(URI malformed\); retrying cannot fix it/);
    t.notMatch(outcome.error, /cannot write to the outbox/, 'not misreported as a disk problem');
  }
  let uriError: unknown = null;
  try {
    malformed();
  } catch (err) {
    uriError = err;
  }
  t.equal(slackOutcome(uriError, '#alerts').status, 'failed');
  t.equal(smtpOutcome(uriError, 'oncall@example.com').status, 'failed');
  t.equal(slackOutcome(new Error('socket hang up'), '#alerts').status, 'retryable', 'other errors keep their class');
  const throwing = withSendTimeout(
    { name: 'slack', close: async () => undefined, send: async () => malformed() },
    { timeoutMs: 60_000, logger },
  );
  t.equal((await throwing.send(ctx(sampleAlert('presync-job-failed')))).status, 'failed');
});
