import type { ContainerReport, ContainerState, EventReport, JobReport, PodReport } from '../model/job-report.js';
import type { Finding } from '../model/finding.js';

/** Which tool or layer a rule belongs to; one rules file per family. */
export type Family =
  | 'kubernetes'
  | 'database'
  | 'flyway'
  | 'liquibase'
  | 'alembic'
  | 'prisma'
  | 'golang-migrate'
  | 'rails'
  | 'django'
  | 'generic';

export type Severity = Finding['severity'];

/** One container's log as log matchers see it: split into lines once, each line bounded. */
export interface LogSource {
  pod: PodReport;
  container: ContainerReport;
  lines: readonly string[];
}

/** A JobReport prepared for matching: the report itself plus the logs of containers that did not succeed. */
export interface DiagnosisInput {
  job: JobReport;
  logs: readonly LogSource[];
}

/** What a matcher found: the line or state that proves it and the pieces the rule's texts quote. */
export interface Match {
  /** The matched log line, event or container state, trimmed and capped. */
  evidence: string;
  /** Named capture groups of the pattern that matched (empty for non-regex matches). */
  groups: Readonly<Record<string, string | undefined>>;
  pod: PodReport | null;
  container: ContainerReport | null;
  event: EventReport | null;
  /** Facts a custom matcher computed (attempt count, exit code, ...). */
  facts: Readonly<Record<string, string | number>>;
}

/**
 * How a rule recognises its failure. Data, not code where possible, so that the patterns can be listed,
 * linted for linear time and documented. Patterns never see more than the bounded log tail.
 */
export type Matcher =
  /**
   * A line of the log tail of a container that did not succeed; the newest matching line wins. `detail`
   * is looked for in the few lines after it (a name or version printed below the error) and its named
   * groups are added to the match; the evidence stays the matched line unless `detailIsEvidence`.
   */
  | { kind: 'log'; pattern: RegExp; detail?: RegExp; detailIsEvidence?: boolean }
  /** A container's current state or last termination with one of these reasons (and message, if given). */
  | { kind: 'container-state'; reasons: readonly string[]; message?: RegExp; currentOnly?: boolean }
  /** A Kubernetes event of the Job or its pods with one of these reasons (and message, if given). */
  | { kind: 'event'; reasons: readonly string[]; message?: RegExp }
  /** A Job condition `Failed=True` with this reason; Argo CD's hook message stands in when the Job is gone. */
  | { kind: 'job-condition'; reason: string; hookMessage: RegExp }
  /** A pod that the scheduler could not place (PodScheduled=False). */
  | { kind: 'unschedulable' }
  /** The first of these that matches. */
  | { kind: 'any'; of: readonly Matcher[] }
  /** All of these match; the evidence is the first one's. */
  | { kind: 'all'; of: readonly Matcher[] }
  /** Logic that does not fit a pattern (comparing attempts); must stay linear in the report's size. */
  | { kind: 'custom'; describe: string; detect: (input: DiagnosisInput) => Match | null };

/** What a rule's texts are computed from. */
export interface RuleContext {
  match: Match;
  job: JobReport;
}

/** A fixed text or one built from the match (names, versions, limits). */
export type RuleText = string | ((ctx: RuleContext) => string);

/** One entry of the rule table. */
export interface Rule {
  /** Stable id: `<family>.<what>`; metrics count findings by it. */
  id: string;
  family: Family;
  severity: Severity;
  /** Higher is more specific and is shown first: tool-specific causes beat generic failures. */
  priority: number;
  matcher: Matcher;
  title: RuleText;
  /** The next step, in one or two sentences. */
  hint: RuleText;
  /** The tool's or Kubernetes' own documentation (https). */
  docs: RuleText;
  /** Ids of less specific rules that say the same thing less precisely; dropped when this one matches. */
  supersedes?: readonly string[];
  /** Shown only when no other rule matched: a last resort, never stacked on a real diagnosis. */
  fallback?: boolean;
}

/** Whether a container state counts as failed (not running, not a clean exit). */
export function isFailedState(s: ContainerState): boolean {
  if (s.state === 'terminated') return s.exitCode !== 0 || (s.reason !== null && s.reason !== 'Completed');
  return s.state === 'waiting' && s.reason !== null && s.reason !== 'ContainerCreating' && s.reason !== 'PodInitializing';
}
