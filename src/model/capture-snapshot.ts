import { z } from 'zod';
import { eventReportSchema, jobInfoSchema, podReportSchema } from './job-report.js';

/** Why a snapshot was taken. */
const captureReasonSchema = z.enum(['container-failed', 'pod-failed', 'deleting', 'stuck']);

/** What a capture holds: the pod (state and scrubbed logs), its Job as it was, and their events. */
export const captureSnapshotSchema = z.object({
  reason: captureReasonSchema,
  job: jobInfoSchema.nullable(),
  jobUid: z.string().nullable(),
  pod: podReportSchema,
  events: z.array(eventReportSchema),
});

export type CaptureReason = z.infer<typeof captureReasonSchema>;
export type CaptureSnapshot = z.infer<typeof captureSnapshotSchema>;

/** A stored snapshot with the time it was taken. */
export interface CaptureRecord extends CaptureSnapshot {
  capturedAt: string;
}
