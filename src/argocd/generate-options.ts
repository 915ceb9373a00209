import { z } from 'zod';
import { hookTypeSchema } from '../model/hook-type.js';

/**
 * A notification service name is the last segment of `service.webhook.<name>` and of the subscription
 * annotation `notifications.argoproj.io/subscribe.<trigger>.<service>`, which Argo CD splits on dots
 * (notifications-engine pkg/subscriptions/annotations.go): no dots, a DNS-label-like name.
 */
const SERVICE_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Argo CD replaces `$key` in service settings with the secret's value, matching `[$][\w-_]+`
 * (notifications-engine pkg/api/config.go): a key with a dot would be cut at the dot.
 */
const SECRET_KEY_PATTERN = /^[A-Za-z0-9_-]{1,253}$/;

const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.search === '' && url.hash === '';
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL of the service without query or fragment, e.g. http://argocd-hook-alerts.argocd-hook-alerts.svc' },
);

const subscribeSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('all') }),
  z.object({ mode: z.literal('selector'), selector: z.string().min(1) }),
  z.object({ mode: z.literal('none') }),
]);

export const generateOptionsSchema = z.object({
  /** Base URL of the service as Argo CD reaches it; the template's path adds /v1/argocd/events. */
  url: httpUrl,
  serviceName: z
    .string()
    .regex(SERVICE_NAME_PATTERN, 'must be lowercase letters, digits and dashes (no dots: Argo CD splits annotation keys on dots)'),
  secretKey: z
    .string()
    .regex(SECRET_KEY_PATTERN, 'must be letters, digits, "_" and "-" (Argo CD only resolves $references of those characters)'),
  hookTypes: z.array(hookTypeSchema).min(1),
  subscribe: subscribeSchema,
  /** Routing key sent as `recipient` for the ConfigMap-level subscription (all / selector). */
  recipient: z
    .string()
    .regex(/^[^:;\s]+$/, 'must not contain ":", ";" or spaces (Argo CD splits recipients on them)')
    .optional(),
  /** Minutes after the operation's start at which a still running hook counts as stuck. */
  stuckMinutes: z.number().int().min(1).max(7 * 24 * 60).optional(),
});

export type GenerateOptions = z.infer<typeof generateOptionsSchema>;
export type Subscribe = z.infer<typeof subscribeSchema>;

export const DEFAULT_SERVICE_NAME = 'hook-alerts';
export const DEFAULT_SECRET_KEY = 'hook-alerts-token';
