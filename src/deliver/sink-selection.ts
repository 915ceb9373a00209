import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { Sink, SinkName } from '../model/sink.js';
import type { EmailAttemptLog } from '../model/email-attempt.js';
import type { RoutingConfig } from '../route/route-config.js';
import { routesUseSink } from '../route/route-alert.js';
import { renderEmail } from '../render/email-message.js';
import { renderSlackMessage } from '../render/slack-message.js';
import type { EmailConfig, FileSinkConfig, SlackConfig } from './sink-config.js';
import { EmailSink } from './email-sink.js';
import { FileSink } from './file-sink.js';
import { proxiedFetch, proxyEnvironment } from './proxy-fetch.js';
import { SlackSink } from './slack-sink.js';

/** What choosing and building the sinks reads: their own settings, the routes, and the data dir (the default outbox). */
export interface SinkSettings {
  slack: SlackConfig;
  email: EmailConfig;
  file: FileSinkConfig;
  routing: RoutingConfig;
  dataDir: string;
}

/**
 * Which sinks are on: each when its settings are present and a route (a rule or the default route)
 * names a target of it; the file sink also when no other is.
 */
export function enabledSinkNames(settings: SinkSettings): Set<SinkName> {
  const names = new Set<SinkName>();
  const routing = settings.routing;
  if (settings.slack.token !== undefined && routesUseSink(routing, 'slack')) names.add('slack');
  if (settings.email.smtpUrl !== undefined && settings.email.from !== undefined && routesUseSink(routing, 'email')) names.add('email');
  const file = settings.file.enabled;
  const fileRouted = [routing.defaultRoute, ...routing.rules].some((r) => r.file);
  if (file === 'true' || fileRouted || (file === 'auto' && names.size === 0)) names.add('file');
  return names;
}

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
