import { z } from 'zod';

/** Where one route sends an alert. */
export const routeTargetsSchema = z.strictObject({
  slack: z.array(z.string().min(1)).default([]),
  email: z.array(z.email()).default([]),
  /** Always write to the file sink too (the file sink is on by itself when no other sink is). */
  file: z.boolean().default(false),
});

export const routingConfigSchema = z.strictObject({
  /** Used when no rule matches; empty lists fall back to SLACK_CHANNEL and EMAIL_TO. */
  defaultRoute: routeTargetsSchema.prefault({}),
});

export type RouteTargets = z.infer<typeof routeTargetsSchema>;
export type RoutingConfig = z.infer<typeof routingConfigSchema>;
