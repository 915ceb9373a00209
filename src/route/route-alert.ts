import picomatch from 'picomatch';
import type { HookEvent } from '../model/hook-event.js';
import type { DefaultRoute, RouteMatch, RouteRule, RoutingConfig } from './route-config.js';
import { formatTarget, parseTarget, type RouteOptions, type SinkName } from '../model/sink.js';
import type { DeliveryKind } from '../model/alert.js';
import type { Router } from '../model/pipeline.js';

type Matcher = (event: HookEvent) => boolean;
type Route = RouteRule | DefaultRoute;

function globMatcher(globs: readonly string[]): (value: string | null) => boolean {
  // dot: an app or label value may start with a dot; the glob author should not need to know that.
  const isMatch = picomatch([...globs], { dot: true });
  return (value) => value !== null && isMatch(value);
}

function compileMatch(match: RouteMatch): Matcher {
  const checks: Matcher[] = [];
  if (match.recipient !== undefined) {
    const m = globMatcher(match.recipient);
    checks.push((e) => m(e.recipient));
  }
  if (match.project !== undefined) {
    const m = globMatcher(match.project);
    checks.push((e) => m(e.app.project));
  }
  if (match.app !== undefined) {
    const m = globMatcher(match.app);
    checks.push((e) => m(e.app.name));
  }
  if (match.namespace !== undefined) {
    const m = globMatcher(match.namespace);
    checks.push((e) => m(e.destination.namespace));
  }
  if (match.kind !== undefined) {
    const m = globMatcher(match.kind);
    checks.push((e) => m(e.kind));
  }
  for (const [label, globs] of Object.entries(match.labels ?? {})) {
    const m = globMatcher(globs);
    checks.push((e) => m(e.app.labels[label] ?? null));
  }
  return (event) => checks.every((check) => check(event));
}

/**
 * The routes an event takes: rules in order, the first match wins unless it says `continue: true`
 * (Alertmanager's semantics); the default route when no rule matches.
 */
function createRouteMatcher(routing: RoutingConfig): (event: HookEvent) => Route[] {
  const compiled = routing.rules.map((rule) => ({ rule, matches: compileMatch(rule.match) }));
  return (event) => {
    const matched: Route[] = [];
    for (const { rule, matches } of compiled) {
      if (!matches(event)) continue;
      matched.push(rule);
      if (!rule.continue) break;
    }
    return matched.length > 0 ? matched : [routing.defaultRoute];
  };
}

function targetsOf(route: Route, enabledSinks: ReadonlySet<SinkName>): string[] {
  const targets: string[] = [];
  if (enabledSinks.has('slack')) targets.push(...route.slack.map((c) => formatTarget('slack', c)));
  if (enabledSinks.has('email')) targets.push(...route.email.map((a) => formatTarget('email', a)));
  if (enabledSinks.has('file') && route.file) targets.push(formatTarget('file', 'outbox'));
  return targets;
}

/**
 * Build the router: the targets of the matching routes for the sinks that are on, plus the outbox when
 * the file sink is on (targets named by several routes are delivered once), and the options of each
 * delivery, for every sink alike (the outbox writes what Slack and email would receive).
 */
export function createRouter(routing: RoutingConfig, enabledSinks: ReadonlySet<SinkName>): Router {
  const routesOf = createRouteMatcher(routing);
  const optionsOf = createRouteOptions(routing);
  return {
    targets: (event) => {
      const targets = routesOf(event).flatMap((route) => targetsOf(route, enabledSinks));
      if (enabledSinks.has('file')) targets.push(formatTarget('file', 'outbox'));
      return [...new Set(targets)];
    },
    options: (event, target, delivery) => {
      const options = optionsOf(event, target);
      return { ...options, mentions: pages(delivery.kind, delivery.threadRootRef) ? options.mentions : [] };
    },
  };
}

/**
 * Mentions page people: on the incident's first message and when a hook is stuck or cannot start, never for
 * a resolution or a skipped hook (a warning: the sync succeeded).
 */
function pages(kind: DeliveryKind, threadRootRef: string | null): boolean {
  if (kind === 'resolved' || kind === 'skipped') return false;
  return threadRootRef === null || kind === 'stuck' || kind === 'blocked';
}

function names(route: Route, sink: SinkName, address: string): boolean {
  if (sink === 'slack') return route.slack.includes(address);
  if (sink === 'email') return route.email.includes(address);
  return route.file;
}

/**
 * Presentation options for one target: the mentions of the matching routes that name it, and logs only
 * if none of them turned logs off. A target no matching route names (the outbox, or a target the
 * incident reached before the config changed) gets no mentions and logs only if every matching route
 * allows them: privacy wins when in doubt.
 */
export function createRouteOptions(routing: RoutingConfig): (event: HookEvent, target: string) => RouteOptions {
  const routesOf = createRouteMatcher(routing);
  return (event, target) => {
    const { sink, address } = parseTarget(target);
    const matched = routesOf(event);
    const naming = matched.filter((route) => names(route, sink, address));
    const relevant = naming.length > 0 ? naming : matched;
    return {
      mentions: [...new Set(naming.flatMap((route) => route.mentions))],
      logs: relevant.every((route) => route.logs),
    };
  };
}

/** Whether any route (a rule or the default) names a target of this sink: the sink has somewhere to send. */
export function routesUseSink(routing: RoutingConfig, sink: 'slack' | 'email'): boolean {
  return [routing.defaultRoute, ...routing.rules].some((route) => route[sink].length > 0);
}
