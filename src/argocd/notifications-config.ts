import { stringify } from 'yaml';
import { EVENTS_ROUTE } from '../model/contract-v1.js';
import type { EventKind } from '../model/contract-v1.js';
import type { GenerateOptions } from './generate-options.js';
import { DELETE_HOOK_TYPES } from '../model/hook-type.js';
import {
  deleteHookFailedCondition,
  hookFailedCondition,
  hookRetryingCondition,
  hookStuckCondition,
  syncSucceededCondition,
} from './trigger-conditions.js';
import { contractV1Body } from './webhook-body.js';

/** Trigger names: fixed, so that subscriptions and docs can name them; none clashes with Argo CD's catalog. */
export const TRIGGER_NAMES = {
  'hook-failed': 'on-hook-failed',
  'hook-retrying': 'on-hook-retrying',
  'sync-succeeded': 'on-hook-sync-succeeded',
  'hook-stuck': 'on-hook-stuck',
} as const satisfies Record<EventKind, string>;

/** The trigger of a failed PreDelete/PostDelete hook: it sends the `hook-failed` template. */
export const DELETE_HOOK_TRIGGER = 'on-delete-hook-failed';

/** Value of the secret entry in the generated patch: obviously not a token, and refused by the service. */
export const TOKEN_PLACEHOLDER = 'REPLACE-WITH-THE-HOOK_ALERTS_TOKEN-OF-THE-SERVICE';

const YAML_OPTIONS = { lineWidth: 0 } as const;

/** One generated key of argocd-notifications-cm and what it is for. */
export interface GeneratedEntry {
  key: string;
  value: string;
  purpose: string;
}

/** A trigger with the template it sends. */
export interface GeneratedTrigger {
  event: EventKind;
  trigger: string;
  template: string;
}

/** Everything `generate argocd` produces, before it is written out as a patch or a kustomize component. */
export interface NotificationsConfig {
  serviceName: string;
  /** Keys of argocd-notifications-cm that are ours alone (service, triggers, templates, defaultTriggers). */
  entries: GeneratedEntry[];
  triggers: GeneratedTrigger[];
  /** One entry of the ConfigMap's `subscriptions` list, or null when apps subscribe by annotation. */
  subscription: SubscriptionEntry | null;
  secret: { key: string; placeholder: string };
  /** Annotations that subscribe one Application to every generated trigger. */
  annotations: Record<string, string>;
}

/** An entry of the `subscriptions` key (notifications-engine pkg/subscriptions: recipients, triggers, selector). */
export interface SubscriptionEntry {
  recipients: string[];
  triggers: string[];
  selector?: string;
}

/** The URL of the service without a trailing slash or the events route (the template's path adds it). */
export function serviceBaseUrl(url: string): string {
  let base = url.replace(/\/+$/, '');
  if (base.endsWith(EVENTS_ROUTE)) base = base.slice(0, -EVENTS_ROUTE.length).replace(/\/+$/, '');
  return base;
}

/** Name of the template of one event kind; prefixed by the service so that it cannot clash with the user's. */
function templateName(serviceName: string, event: EventKind): string {
  return `${serviceName}-${event}`;
}

/** Build every argocd-notifications-cm entry, the secret entry and the subscriptions for the options. */
export function generateNotificationsConfig(opts: GenerateOptions): NotificationsConfig {
  const svc = opts.serviceName;
  const events: EventKind[] = ['hook-failed', 'hook-retrying', 'sync-succeeded'];
  if (opts.stuckMinutes !== undefined) events.push('hook-stuck');

  const types = opts.hookTypes.join('/');
  const condition = (event: EventKind): { when: string; description: string } => {
    switch (event) {
      case 'hook-failed':
        return {
          when: hookFailedCondition(opts.hookTypes),
          description: `Sync failed with a failed ${types} hook (once per failed operation; no oncePer, see argo-cd#20879)`,
        };
      case 'hook-retrying':
        return {
          when: hookRetryingCondition(opts.hookTypes),
          description: `A ${types} hook failed and Argo CD is about to retry the sync: its Job and logs still exist`,
        };
      case 'sync-succeeded':
        return {
          when: syncSucceededCondition(),
          description: 'Sync succeeded: argocd-hook-alerts resolves the open incident of the app, if any, and ignores the rest',
        };
      case 'hook-stuck': {
        const minutes = opts.stuckMinutes ?? 0;
        return {
          when: hookStuckCondition(opts.hookTypes, minutes),
          description: `A ${types} hook still runs ${minutes} minutes after the sync started`,
        };
      }
    }
  };

  const entries: GeneratedEntry[] = [
    {
      key: `service.webhook.${svc}`,
      purpose: `webhook service "${svc}": the URL of argocd-hook-alerts and the bearer token from argocd-notifications-secret key ${opts.secretKey}`,
      value: stringify(
        {
          url: serviceBaseUrl(opts.url),
          headers: [
            { name: 'Content-Type', value: 'application/json' },
            { name: 'Authorization', value: `Bearer $${opts.secretKey}` },
          ],
        },
        YAML_OPTIONS,
      ),
    },
  ];

  const triggers: GeneratedTrigger[] = events.map((event) => ({
    event,
    trigger: TRIGGER_NAMES[event],
    template: templateName(svc, event),
  }));
  const deleteTypes = opts.hookTypes.filter((t) => DELETE_HOOK_TYPES.includes(t));
  const deleteTrigger: GeneratedTrigger | null =
    deleteTypes.length === 0 ? null : { event: 'hook-failed', trigger: DELETE_HOOK_TRIGGER, template: templateName(svc, 'hook-failed') };

  for (const t of triggers) {
    const { when, description } = condition(t.event);
    entries.push({
      key: `trigger.${t.trigger}`,
      purpose: description,
      // No oncePer: with it a failed delivery is recorded as sent and never retried (argo-cd#20879).
      value: stringify([{ description, when, send: [t.template] }], YAML_OPTIONS),
    });
  }
  if (deleteTrigger !== null) {
    const description = `A ${deleteTypes.join('/')} hook failed while the Application is being deleted (DeletionError condition; Argo CD 3.3+)`;
    entries.push({
      key: `trigger.${deleteTrigger.trigger}`,
      purpose: description,
      value: stringify([{ description, when: deleteHookFailedCondition(deleteTypes), send: [deleteTrigger.template] }], YAML_OPTIONS),
    });
    triggers.push(deleteTrigger);
  }
  for (const t of triggers) {
    if (t === deleteTrigger) continue;
    entries.push({
      key: `template.${t.template}`,
      purpose: `POSTs a contract v1 "${t.event}" event to ${EVENTS_ROUTE}; every value through toJson`,
      value: stringify(
        { webhook: { [svc]: { method: 'POST', path: EVENTS_ROUTE, body: contractV1Body(t.event) } } },
        YAML_OPTIONS,
      ),
    });
  }
  // Lets `notifications.argoproj.io/subscribe.<service>: <recipient>` subscribe to all our triggers at once.
  entries.push({
    key: `defaultTriggers.${svc}`,
    purpose: `triggers of an app subscribed with notifications.argoproj.io/subscribe.${svc} (no trigger named)`,
    value: stringify(
      triggers.map((t) => t.trigger),
      YAML_OPTIONS,
    ),
  });

  const recipientRef = opts.recipient === undefined ? svc : `${svc}:${opts.recipient}`;
  const subscription: SubscriptionEntry | null =
    opts.subscribe.mode === 'none'
      ? null
      : {
          recipients: [recipientRef],
          triggers: triggers.map((t) => t.trigger),
          ...(opts.subscribe.mode === 'selector' ? { selector: opts.subscribe.selector } : {}),
        };

  const annotationRecipient = opts.recipient ?? '<recipient>';
  const annotations: Record<string, string> = {};
  for (const t of triggers) {
    annotations[`notifications.argoproj.io/subscribe.${t.trigger}.${svc}`] = annotationRecipient;
  }

  return {
    serviceName: svc,
    entries,
    triggers,
    subscription,
    secret: { key: opts.secretKey, placeholder: TOKEN_PLACEHOLDER },
    annotations,
  };
}

/**
 * The `subscriptions` value with our entry: the user's existing entries are kept, and a previous entry of
 * ours (every recipient is our service) is replaced, so that re-running the generator does not pile up.
 */
export function mergeSubscriptions(existing: unknown[], ours: SubscriptionEntry, serviceName: string): unknown[] {
  const isOurs = (entry: unknown): boolean => {
    if (typeof entry !== 'object' || entry === null) return false;
    const recipients = (entry as { recipients?: unknown }).recipients;
    return (
      Array.isArray(recipients) &&
      recipients.length > 0 &&
      recipients.every((r) => typeof r === 'string' && (r === serviceName || r.startsWith(`${serviceName}:`)))
    );
  };
  return [...existing.filter((e) => !isOurs(e)), ours];
}

/** The YAML text of a `subscriptions` list. */
export function subscriptionsValue(list: unknown[]): string {
  return stringify(list, YAML_OPTIONS);
}
