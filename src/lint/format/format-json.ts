import { countBySeverity, type LintFinding, type LintReport } from '../lint-finding.js';

/** What a run looked at, for summaries. */
export interface LintScope {
  files: number;
  objects: number;
}

/** Build the `--format json` report (schema: lintReportSchema). */
function toLintReport(findings: readonly LintFinding[], scope: LintScope): LintReport {
  return { version: 1, findings: [...findings], summary: { ...scope, ...countBySeverity(findings) } };
}

/** `--format json`: one pretty-printed JSON document. */
export function formatJson(findings: readonly LintFinding[], scope: LintScope): string {
  return `${JSON.stringify(toLintReport(findings, scope), null, 2)}\n`;
}
