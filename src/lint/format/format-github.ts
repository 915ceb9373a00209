import type { LintFinding, LintSeverity } from '../lint-finding.js';
import { describeObject } from '../lint-rule.js';
import { STDIN_NAME } from '../manifest-object.js';

// GitHub workflow commands: https://docs.github.com/actions/reference/workflow-commands-for-github-actions
// Escaping as in @actions/core command.ts (escapeData / escapeProperty).
const levels: Record<LintSeverity, string> = { error: 'error', warning: 'warning', info: 'notice' };

/** Escape a workflow command's message: %, CR and LF. */
export function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escape a workflow command property value: as data, plus the separators ":" and ",". */
export function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** `--format github`: one `::error file=…,line=…,title=…::message` line per finding. */
export function formatGithub(findings: readonly LintFinding[]): string {
  return findings
    .map((f) => {
      const props: [string, string][] = [];
      // Standard input has no file in the repository to annotate; the annotation still shows in the run.
      if (f.file !== STDIN_NAME) props.push(['file', f.file], ['line', String(f.line)]);
      props.push(['title', `${f.ruleId}: ${describeObject(f.object)}`]);
      const source = f.helmSource !== null ? ` (helm template ${f.helmSource})` : '';
      const message = `${f.message}${source}\nFix: ${f.fix}`;
      return `::${levels[f.severity]} ${props.map(([k, v]) => `${k}=${escapeProperty(v)}`).join(',')}::${escapeData(message)}\n`;
    })
    .join('');
}
