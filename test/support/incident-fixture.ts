import type { AlertStore } from '../../src/store/alert-store.js';
import { eventDedupeKey, type HookEvent } from '../../src/model/hook-event.js';
import type { AlertReport, PodReport } from '../../src/model/job-report.js';
import { diagnoseReport } from '../../src/diagnose/diagnose-report.js';
import { sampleAlertReport } from '../../src/commands/send-test-samples.js';
import { sampleEvent } from './sample-alerts.js';

/** The line every attempt's log ends with: a diagnosis rule quotes it, the page marks it. */
export const FAILING_LINE = 'ERROR: pq: column "currency" of relation "payments" contains null values (SQLSTATE 23502)';

/** A log of about `bytes` bytes: numbered lines, `FAILING_LINE` last, an HTML-looking line to be escaped. */
export function attemptLog(attempt: number, bytes: number): string {
  const lines = [`attempt ${attempt}: starting migrations <script>alert(1)</script> & "quotes"`];
  let size = lines[0]?.length ?? 0;
  for (let i = 1; size < bytes - FAILING_LINE.length - 60; i++) {
    const line = `2026-11-20T14:0${attempt}:${String(i % 60).padStart(2, '0')}Z attempt ${attempt} line ${i}: applying migration step ${i} of the payments schema`;
    lines.push(line);
    size += line.length + 1;
  }
  lines.push(`attempt ${attempt} last line before the failure`, FAILING_LINE);
  return `${lines.join('\n')}\n`;
}

/** The presync-job-failed report with `attempts` pods (one per attempt), each log about `logBytes` long. */
export function reportWithAttempts(event: HookEvent, attempts: number, logBytes: number): AlertReport {
  const base = sampleAlertReport(event, new Date(event.receivedAt));
  return {
    ...base,
    notes: [],
    hooks: base.hooks.map((hook, h) => {
      const template = hook.pods[0];
      if (template === undefined) throw new Error('the sample report has no pod');
      const pods: PodReport[] = Array.from({ length: attempts }, (_, a) => {
        const text = attemptLog(a + 1, logBytes);
        return {
          ...template,
          name: `${hook.hook.name}-attempt${a + 1}-h${h}`,
          capturedAt: a + 1 < attempts ? `2026-11-20T14:0${a + 1}:59Z` : null,
          containers: template.containers.map((c) => ({ ...c, log: { text, truncated: false, bytes: Buffer.byteLength(text), lines: text.split('\n').length - 1, previous: false } })),
        };
      });
      return { ...hook, pods };
    }),
  };
}

/** An incident stored as the worker leaves it: one event, routed with its report and diagnosis, its delivery to `target` pending. */
export async function storeIncident(
  store: AlertStore,
  opts: { target: string; attempts?: number; logBytes?: number; now?: number; event?: HookEvent },
): Promise<{ incidentId: string; event: HookEvent; report: AlertReport }> {
  const event = opts.event ?? sampleEvent('presync-job-failed');
  const now = opts.now ?? Date.parse(event.receivedAt);
  const accepted = await store.acceptEvent(event, eventDedupeKey(event), now);
  if (!('incidentId' in accepted)) throw new Error(`not accepted: ${JSON.stringify(accepted)}`);
  const pending = (await store.pendingEvents(10)).find((p) => p.incidentId === accepted.incidentId);
  if (pending === undefined) throw new Error('the event is not pending');
  const report = reportWithAttempts(event, opts.attempts ?? 3, opts.logBytes ?? 2_000);
  await store.routeEvent(pending.id, report, diagnoseReport(report), [{ incidentId: accepted.incidentId, target: opts.target, kind: 'failed' }], now);
  return { incidentId: accepted.incidentId, event, report };
}
