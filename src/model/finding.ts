import { z } from 'zod';

/** One diagnosis: what went wrong, the line that shows it, and the next step. */
export const findingSchema = z.object({
  id: z.string(),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  title: z.string(),
  /** The log line or event that matched, scrubbed and trimmed. */
  evidence: z.string().nullable(),
  hint: z.string(),
  docs: z.string().nullable(),
});

export type Finding = z.infer<typeof findingSchema>;
