import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Sink, SinkName } from '../model/sink.js';
import type { EmailAttemptLog } from '../model/email-attempt.js';
import type { SinkSettings } from './enabled-sinks.js';
import { renderEmail } from '../render/email-message.js';
import { renderSlackMessage } from '../render/slack-message.js';
import { EmailSink } from './email-sink.js';
import { FileSink } from './file-sink.js';
import { proxiedFetch, proxyEnvironment } from './proxy-fetch.js';
import { SlackSink } from './slack-sink.js';

/** Construct the sinks that are on; the file sink writes exactly what Slack and email would receive. */
export function buildSinks(
  settings: SinkSettings,
  names: ReadonlySet<SinkName>,
  deps: { logger: Logger; metrics: Metrics; emailAttempts?: EmailAttemptLog; clock?: () => number; env?: NodeJS.ProcessEnv },
): Map<SinkName, Sink> {
  const sinks = new Map<SinkName, Sink>();
  const { env, ...sinkDeps } = deps;
  if (names.has('slack')) {
    // HTTPS_PROXY / NO_PROXY: the Slack client's fetch does not read them on its own.
    const proxy = proxyEnvironment(env ?? {});
    sinks.set('slack', SlackSink.fromConfig(settings.slack, { ...sinkDeps, ...(proxy === null ? {} : { fetch: proxiedFetch(proxy) }) }));
  }
  if (names.has('email')) {
    const { emailAttempts, ...rest } = sinkDeps;
    sinks.set('email', EmailSink.fromConfig(settings.email, { ...rest, ...(emailAttempts === undefined ? {} : { attempts: emailAttempts }) }));
  }
  if (names.has('file')) {
    const dir = settings.file.dir ?? join(settings.dataDir, 'outbox');
    sinks.set(
      'file',
      new FileSink(dir, {
        slack: (alert, route) => renderSlackMessage(alert, route),
        email: (alert, route, threadRootRef) =>
          renderEmail(alert, {
            from: settings.email.from ?? 'argocd-hook-alerts@localhost',
            to: settings.routing.defaultRoute.email.join(', ') || 'oncall@localhost',
            threadRootRef,
            logs: route.logs,
          }),
      }),
    );
  }
  return sinks;
}
