import picomatch from 'picomatch';
import { z } from 'zod';

// Slack control sequences a route may add to its messages: a user group (`<!subteam^S0123ABCD>`), a user
// (`<@U0123ABCD>`), `<!here>` or `<!channel>`. They come from the config (trusted), never from the cluster,
// and are the only unescaped `<…>` sequences a rendered message carries besides our own links.
const MENTION = /^<(?:!subteam\^[A-Z0-9]+(?:\|[^<>|]+)?|@[UW][A-Z0-9]+|!here|!channel)>$/;

/** A glob (picomatch syntax) or a list of globs, any of which may match. */
const globsSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (typeof v === 'string' ? [v] : v))
  .superRefine((globs, ctx) => {
    for (const glob of globs) {
      try {
        picomatch.makeRe(glob);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `invalid glob ${JSON.stringify(glob)}: ${String(err)}` });
      }
    }
  });

/** What a rule matches; every field given must match (AND), a list within a field is any-of (OR). */
const routeMatchSchema = z.strictObject({
  /** The Argo CD subscription value (`{{.recipient}}`), e.g. `team-payments`. */
  recipient: globsSchema.optional(),
  /** spec.project of the Application. */
  project: globsSchema.optional(),
  /** metadata.name of the Application. */
  app: globsSchema.optional(),
  /** spec.destination.namespace of the Application. */
  namespace: globsSchema.optional(),
  /**
   * The event kind: hook-failed, hook-retrying, hook-stuck, hook-blocked, hook-skipped (docs/alerts.md), e.g.
   * `kind: hook-skipped` to send the warnings elsewhere. A resolution follows its incident, whatever this says.
   */
  kind: globsSchema.optional(),
  /** metadata.labels of the Application: every label named must be present and match its glob. */
  labels: z.record(z.string().min(1), globsSchema).optional(),
});

/** Where one route sends an alert. */
const routeTargetsSchema = z.strictObject({
  slack: z.array(z.string().min(1)).default([]),
  email: z.array(z.email()).default([]),
  /** Always write to the file sink too (the file sink is on by itself when no other sink is). */
  file: z.boolean().default(false),
});

/** How a route's messages look; applies to the Slack channels and email addresses this route names. */
const routePresentationShape = {
  /** Slack mentions added to the first message of an incident (and to stuck notices). */
  mentions: z
    .array(z.string().regex(MENTION, 'a mention is <!subteam^ID>, <@USERID>, <!here> or <!channel>'))
    .default([]),
  /**
   * false: summary and link only, no log body in Slack or email (migration logs can hold row data);
   * the alert says where to read the logs instead.
   */
  logs: z.boolean().default(true),
};

const routeRuleSchema = z.strictObject({
  /** A name for logs and docs. */
  name: z.string().min(1).optional(),
  /** No `match` (or an empty one) matches every event. */
  match: routeMatchSchema.prefault({}),
  ...routeTargetsSchema.shape,
  ...routePresentationShape,
  /**
   * Rules are tried in order and the first match wins (Alertmanager's default); `continue: true` lets
   * the following rules add their targets too.
   */
  continue: z.boolean().default(false),
});

const defaultRouteSchema = z.strictObject({
  ...routeTargetsSchema.shape,
  ...routePresentationShape,
});

export const routingConfigSchema = z.strictObject({
  /** Tried in order; the first matching rule wins unless it says `continue: true`. */
  rules: z.array(routeRuleSchema).default([]),
  /**
   * Used when no rule matches. With no rules at all it is SLACK_CHANNEL and EMAIL_TO, so that the two
   * environment variables alone wire both sinks.
   */
  defaultRoute: defaultRouteSchema.prefault({}),
});

export type RouteMatch = z.infer<typeof routeMatchSchema>;
export type RouteRule = z.infer<typeof routeRuleSchema>;
export type DefaultRoute = z.infer<typeof defaultRouteSchema>;
export type RoutingConfig = z.infer<typeof routingConfigSchema>;
