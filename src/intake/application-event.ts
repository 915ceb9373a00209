import { z } from 'zod';
import { contractV1Schema, LAST_APPLIED_ANNOTATION } from '../model/contract-v1.js';
import type { HookEvent } from '../model/hook-event.js';
import type { HookType } from '../model/hook-type.js';
import { toHookEvent } from './hook-event.js';

/** An Argo CD Application as a watch delivers it: metadata read, spec and status as they came. */
export interface ApplicationObject {
  metadata: {
    name: string;
    namespace: string | null;
    uid: string | null;
    deletionTimestamp: string | null;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec?: unknown;
  status?: unknown;
}

/** How the backstop reads Applications: the alerting hook types and the subscriptions of our webhook service. */
export interface ApplicationEventOptions {
  hookTypes: readonly HookType[];
  /** The webhook service of `generate argocd` (`--service-name`): its subscription annotations name the recipients. */
  serviceName: string;
  /** The triggers whose subscriptions count: the hook-failed one and the delete hook one. */
  triggers: readonly string[];
  /** The recipient when no annotation of the Application subscribes it (a ConfigMap subscription, or none). */
  defaultRecipient: string | null;
  /** Argo CD's URL for the alert's links (the webhook sends `context.argocdUrl`). */
  argocdUrl: string | null;
  receivedAt: Date;
}

const FAILED_OPERATION_PHASES = new Set(['Failed', 'Error']);
const SUBSCRIBE = 'notifications.argoproj.io/subscribe.';
// Argo CD's template drops it (issue 19 item 6): it is a copy of the whole spec, never shown.

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/**
 * The recipients Argo CD would notify for our triggers, read from the Application's annotations the way
 * notifications-engine reads them (pkg/subscriptions/annotations.go): `subscribe.<trigger>.<service>` or
 * `subscribe.<service>` (the service's default triggers), values split on `;`, blanks dropped.
 */
export function subscribedRecipients(annotations: Record<string, string>, serviceName: string, triggers: readonly string[]): string[] {
  const keys = new Set([`${SUBSCRIBE}${serviceName}`, ...triggers.map((trigger) => `${SUBSCRIBE}${trigger}.${serviceName}`)]);
  const recipients = new Set<string>();
  for (const [key, value] of Object.entries(annotations)) {
    if (!keys.has(key)) continue;
    for (const recipient of value.split(';')) if (recipient.trim() !== '') recipients.add(recipient.trim());
  }
  return [...recipients];
}

/**
 * The `hook-failed` events of an Application whose last operation failed on a hook of the alerting types,
 * or whose deletion failed on a delete hook: one per subscribed recipient, as Argo CD's webhook would post
 * them. The body is built in the shape the generated template renders and goes through the same
 * normalization, so both paths give the same event, dedupe key and incident. Empty when nothing failed;
 * `invalid` when the Application cannot be carried by the contract (intake would refuse its webhook too).
 */
export function hookFailedEventsOf(app: ApplicationObject, opts: ApplicationEventOptions): HookEvent[] | { invalid: string } {
  const spec = record(app.spec);
  const status = record(app.status);
  const annotations = Object.fromEntries(Object.entries(app.metadata.annotations).filter(([key]) => key !== LAST_APPLIED_ANNOTATION));
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter((c) => record(c).type === 'DeletionError') : null;
  const operationState = status.operationState ?? null;
  const deleting = app.metadata.deletionTimestamp !== null && conditions !== null && conditions.length > 0;
  if (!deleting && !FAILED_OPERATION_PHASES.has(String(record(operationState).phase))) return [];
  const recipients = subscribedRecipients(app.metadata.annotations, opts.serviceName, opts.triggers);
  const events: HookEvent[] = [];
  for (const recipient of recipients.length > 0 ? recipients : [opts.defaultRecipient]) {
    const body = contractV1Schema.safeParse({
      version: 1,
      event: 'hook-failed',
      recipient,
      argocdUrl: opts.argocdUrl,
      app: {
        name: app.metadata.name,
        namespace: app.metadata.namespace,
        uid: app.metadata.uid,
        deletionTimestamp: app.metadata.deletionTimestamp,
        labels: app.metadata.labels,
        annotations,
        project: spec.project ?? null,
        destination: spec.destination ?? null,
        source: spec.source ?? null,
        sources: spec.sources ?? null,
      },
      operationState,
      conditions,
      sync: status.sync ?? null,
      health: status.health ?? null,
    });
    if (!body.success) return { invalid: z.prettifyError(body.error).slice(0, 500) };
    const normalized = toHookEvent(body.data, opts.hookTypes, opts.receivedAt, { seenBy: 'watch' });
    if ('ignored' in normalized) return [];
    events.push(normalized.event);
  }
  return events;
}
