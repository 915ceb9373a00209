import { z } from 'zod';

/** How bad a finding is; `--fail-on` compares against this order. */
const lintSeveritySchema = z.enum(['error', 'warning', 'info']);
export type LintSeverity = z.infer<typeof lintSeveritySchema>;

/** `--fail-on` threshold: a severity, or `never` to always exit 0 on readable input. */
export const failOnSchema = z.enum(['error', 'warning', 'info', 'never']);
export type FailOn = z.infer<typeof failOnSchema>;

/** Which Kubernetes object a finding is about, as written in the manifest. */
const lintObjectRefSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  /** null when the manifest leaves it to the Application's destination namespace. */
  namespace: z.string().nullable(),
  /** null for hooks that only set `metadata.generateName`. */
  name: z.string().nullable(),
  generateName: z.string().nullable(),
});
export type LintObjectRef = z.infer<typeof lintObjectRefSchema>;

/** One problem found in the manifests: where it is, which rule, and what to change. */
const lintFindingSchema = z.object({
  ruleId: z.string(),
  severity: lintSeveritySchema,
  /** Path as given on the command line; `<stdin>` for `-`. */
  file: z.string(),
  /** 0-based index of the YAML document in the file (`---` separated). */
  documentIndex: z.number().int().nonnegative(),
  /** 0-based index in `items` when the document is a `List`, else null. */
  itemIndex: z.number().int().nonnegative().nullable(),
  /** 1-based line of the field the finding is about (or of its nearest existing parent). */
  line: z.number().int().positive(),
  /** The chart template a `helm template` document came from (its `# Source:` comment). */
  helmSource: z.string().nullable(),
  object: lintObjectRefSchema,
  message: z.string(),
  fix: z.string(),
});
export type LintFinding = z.infer<typeof lintFindingSchema>;

/** The `--format json` document. */
export const lintReportSchema = z.object({
  version: z.literal(1),
  findings: z.array(lintFindingSchema),
  summary: z.object({
    files: z.number().int().nonnegative(),
    objects: z.number().int().nonnegative(),
    error: z.number().int().nonnegative(),
    warning: z.number().int().nonnegative(),
    info: z.number().int().nonnegative(),
  }),
});
export type LintReport = z.infer<typeof lintReportSchema>;

const rank: Record<LintSeverity, number> = { error: 3, warning: 2, info: 1 };

/** Exit status for a lint run: 1 when a finding at or above `failOn` exists, else 0. */
export function exitCodeFor(findings: readonly LintFinding[], failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  const threshold = rank[failOn];
  return findings.some((f) => rank[f.severity] >= threshold) ? 1 : 0;
}

/** Count findings per severity for summaries. */
export function countBySeverity(findings: readonly LintFinding[]): Record<LintSeverity, number> {
  const counts: Record<LintSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}
