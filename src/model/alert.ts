import type { HookEvent } from './hook-event.js';
import type { AlertReport } from './job-report.js';
import type { Finding } from './finding.js';

/**
 * What a delivery is: the first alert of an incident, an update in its thread, or its resolution.
 * `retrying:<n>` carries Argo CD's retry count so that each automatic retry is one update, once.
 */
export type DeliveryKind = 'failed' | 'stuck' | 'blocked' | 'skipped' | 'resolved' | `retrying:${number}`;

/** Everything a renderer needs; renderers are pure functions of this. */
export interface Alert {
  incidentId: string;
  deliveryKind: DeliveryKind;
  event: HookEvent;
  /** null when enrichment was off or has not produced anything. */
  report: AlertReport | null;
  findings: Finding[];
  /**
   * The incident's page (every log, the timeline), signed when links are signed; absent when the service has
   * no public URL (server.publicUrl) or the page is off.
   */
  incidentUrl?: string;
}

/** The delivery kind an event produces. */
export function deliveryKindOf(event: HookEvent): DeliveryKind {
  switch (event.kind) {
    case 'hook-failed':
      return 'failed';
    case 'hook-stuck':
      return 'stuck';
    case 'hook-blocked':
      return 'blocked';
    case 'hook-skipped':
      return 'skipped';
    case 'sync-succeeded':
      return 'resolved';
    case 'hook-retrying':
      return `retrying:${event.operation?.retryCount ?? 0}`;
  }
}
