import type { HookEvent } from '../intake/hook-event.js';
import type { RoutingConfig } from './route-config.js';
import { formatTarget, type SinkName } from '../deliver/sink.js';
import type { Router } from '../worker/pipeline.js';

/**
 * Build the router: the default route's Slack channels and email addresses, for the sinks that are on,
 * plus the file sink when it is on. Rules over recipient, project, app, namespace and labels come on top.
 */
export function createRouter(routing: RoutingConfig, enabledSinks: ReadonlySet<SinkName>): Router {
  return (_event: HookEvent) => {
    const targets: string[] = [];
    const route = routing.defaultRoute;
    if (enabledSinks.has('slack')) targets.push(...route.slack.map((c) => formatTarget('slack', c)));
    if (enabledSinks.has('email')) targets.push(...route.email.map((a) => formatTarget('email', a)));
    if (enabledSinks.has('file')) targets.push(formatTarget('file', 'outbox'));
    return [...new Set(targets)];
  };
}
