import type { AlertReport, JobReport } from '../model/job-report.js';
import type { Finding } from '../model/finding.js';
import { prepareInput, runMatcher } from './matchers.js';
import type { Rule, RuleContext, RuleText, Severity } from './rule.js';
import { RULES } from './rules/index.js';

/** At most this many findings per alert: the top one is what the on-call engineer reads. */
export const MAX_FINDINGS = 3;

const SEVERITY_RANK: Record<Severity, number> = { critical: 3, error: 2, warning: 1, info: 0 };

interface Candidate {
  rule: Rule;
  finding: Finding;
  /** Position of the hook in the report, then of the rule in the table: the stable tie-breakers. */
  order: number;
}

function text(t: RuleText, ctx: RuleContext): string {
  return (typeof t === 'string' ? t : t(ctx)).trim();
}

/** Every rule that matches one hook's report, as findings, in table order. */
export function matchRules(
  job: JobReport,
  rules: readonly Rule[] = RULES,
): { rule: Rule; finding: Finding; index: number }[] {
  const input = prepareInput(job);
  const out: { rule: Rule; finding: Finding; index: number }[] = [];
  rules.forEach((rule, index) => {
    const match = runMatcher(rule.matcher, input);
    if (match === null) return;
    const ctx: RuleContext = { match, job };
    out.push({
      rule,
      finding: {
        id: rule.id,
        severity: rule.severity,
        title: text(rule.title, ctx),
        evidence: match.evidence === '' ? null : match.evidence,
        hint: text(rule.hint, ctx),
        docs: text(rule.docs, ctx),
      },
      index,
    });
  });
  return out;
}

/**
 * The diagnosis stage: a pure function from the enrichment to at most three findings, the most specific
 * first. Nothing matches → no findings: an unexplained failure is left to the log tail, never guessed at.
 */
export function diagnoseReport(report: AlertReport, rules: readonly Rule[] = RULES): Finding[] {
  const kept: Candidate[] = [];
  report.hooks.forEach((job, hookIndex) => {
    const matched = matchRules(job, rules);
    // Supersession and fallbacks apply within one hook: another hook's failure may have other causes.
    const superseded = new Set(matched.flatMap((m) => m.rule.supersedes ?? []));
    const hasRealDiagnosis = matched.some((m) => m.rule.fallback !== true);
    for (const { rule, finding, index } of matched) {
      if (superseded.has(rule.id) || (rule.fallback === true && hasRealDiagnosis)) continue;
      kept.push({ rule, finding, order: hookIndex * rules.length + index });
    }
  });
  kept.sort(
    (a, b) =>
      b.rule.priority - a.rule.priority ||
      SEVERITY_RANK[b.rule.severity] - SEVERITY_RANK[a.rule.severity] ||
      a.order - b.order,
  );
  // One finding per rule: the same cause in two hooks is said once, for the first hook.
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const c of kept) {
    if (seen.has(c.rule.id)) continue;
    seen.add(c.rule.id);
    findings.push(c.finding);
    if (findings.length === MAX_FINDINGS) break;
  }
  return findings;
}
