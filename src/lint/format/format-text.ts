import { styleText } from 'node:util';
import { countBySeverity, type LintFinding, type LintSeverity } from '../lint-finding.js';
import { describeObject } from '../lint-rule.js';
import type { LintScope } from './format-json.js';

type Style = Parameters<typeof styleText>[0];

const severityStyle: Record<LintSeverity, Style> = { error: ['bold', 'red'], warning: ['bold', 'yellow'], info: ['bold', 'cyan'] };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Text for a terminal. Colour is the caller's decision (stdout is a TTY and NO_COLOR is unset), so
 * styleText's own stream check is turned off.
 */
export function formatText(findings: readonly LintFinding[], scope: LintScope, opts: { color: boolean }): string {
  const paint = (style: Style, s: string): string => (opts.color ? styleText(style, s, { validateStream: false }) : s);
  const out: string[] = [];
  for (const f of findings) {
    const where = `${f.file}:${f.line}`;
    const doc = `document ${f.documentIndex}${f.itemIndex !== null ? `, item ${f.itemIndex}` : ''}`;
    const source = f.helmSource !== null ? `, ${f.helmSource}` : '';
    out.push(
      `${paint('bold', where)} ${paint(severityStyle[f.severity], f.severity)} ${paint('dim', f.ruleId)}  ${describeObject(f.object)} (${doc}${source})`,
      `  ${f.message}`,
      `  ${paint('green', 'fix:')} ${f.fix}`,
      '',
    );
  }
  const c = countBySeverity(findings);
  const counts = `${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${c.info} info`;
  const checked = `${plural(scope.objects, 'object')} in ${plural(scope.files, 'file')}`;
  out.push(findings.length === 0 ? `no findings in ${checked}` : `${counts} in ${checked}`);
  return `${out.join('\n')}\n`;
}
