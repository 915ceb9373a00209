import { loadSampleApplication } from '../../src/commands/send-test.js';
import { contractBodyFromApplication, sampleAlertReport } from '../../src/commands/send-test-samples.js';
import { contractV1Schema, type EventKind } from '../../src/model/contract-v1.js';
import { incidentId, incidentKey, type HookEvent } from '../../src/model/hook-event.js';
import { toHookEvent } from '../../src/intake/hook-event.js';
import { deliveryKindOf, type Alert } from '../../src/model/alert.js';
import type { AlertReport } from '../../src/model/job-report.js';
import type { Finding } from '../../src/model/finding.js';

/** A built-in sample Application (samples/applications/<name>.json). */
export type SampleName =
  | 'presync-job-failed'
  | 'presync-job-retrying'
  | 'presync-job-running'
  | 'multi-source-two-failed-hooks'
  | 'postsync-pod-failed'
  | 'tricky-strings'
  | 'sync-succeeded';

export const RECEIVED_AT = new Date('2026-11-20T14:07:15.000Z');

/** A HookEvent from one of the embedded fixture Applications, as intake would normalize it. */
export function sampleEvent(name: SampleName, opts: { event?: EventKind; recipient?: string | null; receivedAt?: Date } = {}): HookEvent {
  const body = contractV1Schema.parse(
    contractBodyFromApplication(loadSampleApplication(name), { ...(opts.event === undefined ? {} : { event: opts.event }), recipient: opts.recipient ?? 'team-payments' }),
  );
  const result = toHookEvent(body, ['PreSync', 'Sync', 'PostSync'], opts.receivedAt ?? RECEIVED_AT);
  if (!('event' in result)) throw new Error(`fixture ${name} is ignored: ${result.ignored}`);
  return result.event;
}

/** An alert for a fixture, with the sample report (or the given one) and findings. */
export function sampleAlert(
  name: SampleName,
  opts: { event?: EventKind; report?: AlertReport | null; findings?: Finding[]; receivedAt?: Date; incident?: string } = {},
): Alert {
  const event = sampleEvent(name, opts);
  const key = incidentKey(event);
  return {
    incidentId: opts.incident ?? (key === null ? 'inc_test' : incidentId(key)),
    deliveryKind: deliveryKindOf(event),
    event,
    report: opts.report === undefined ? sampleAlertReport(event, opts.receivedAt ?? RECEIVED_AT) : opts.report,
    findings: opts.findings ?? [],
  };
}

/** The resolution of an incident: the sync-succeeded fixture (same app), for the given incident id. */
export function resolvedAlert(incident: string): Alert {
  const event = sampleEvent('sync-succeeded');
  return { incidentId: incident, deliveryKind: 'resolved', event, report: null, findings: [] };
}

export const SAMPLE_FINDING: Finding = {
  id: 'pg-not-null-violation',
  severity: 'error',
  title: 'The migration adds NOT NULL to a column that has NULL rows',
  evidence: 'pq: column "currency" of relation "payments" contains null values (SQLSTATE 23502)',
  hint: 'Backfill the NULL rows in an earlier migration (or add a DEFAULT), then set NOT NULL.',
  docs: 'https://www.postgresql.org/docs/current/errcodes-appendix.html',
};

/** A report whose one container log is `text` (already scrubbed), for hostile-content tests. */
export function reportWithLog(alert: Alert, text: string): AlertReport {
  const base = sampleAlertReport(alert.event, RECEIVED_AT);
  const hooks = base.hooks.map((h) => ({
    ...h,
    pods: h.pods.map((p) => ({
      ...p,
      containers: p.containers.map((c) => ({
        ...c,
        log: { text, truncated: false, bytes: Buffer.byteLength(text), lines: text.split('\n').length, previous: false },
      })),
    })),
  }));
  return { ...base, hooks };
}
