/**
 * Which sinks are on, apart from sink-selection.ts, which loads the Slack and SMTP clients: intake's thread
 * and the CLI need the names, not the sinks.
 */
import type { SinkName } from '../model/sink.js';
import type { RoutingConfig } from '../route/route-config.js';
import { routesUseSink } from '../route/route-alert.js';
import type { EmailConfig, FileSinkConfig, SlackConfig } from './sink-config.js';

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

