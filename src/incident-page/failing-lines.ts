import { logLinePatternsOf } from '../diagnose/matchers.js';
import { RULES } from '../diagnose/rules/index.js';
import type { Finding } from '../model/finding.js';

// The diagnosis rules' log patterns, once: a line any of them matches is a line a rule would quote.
const RULE_PATTERNS: readonly RegExp[] = RULES.flatMap((rule) => logLinePatternsOf(rule.matcher)).map((re) => new RegExp(re.source, re.flags.replace(/[gy]/g, '')));
// Evidence shorter than this would mark unrelated lines ("Error").
const MIN_EVIDENCE_CHARS = 8;
// A line longer than this is tested on its start only, as the diagnosis does (MAX_LINE_CHARS).
const TESTED_CHARS = 4096;
const ELLIPSIS = /^…|…$/g;

/**
 * The indexes of the lines of a log that show the failure: those a diagnosis rule's log pattern matches, and
 * those holding the evidence of a finding (quoted, maybe cut with …).
 */
export function failingLines(lines: readonly string[], findings: readonly Finding[]): Set<number> {
  const evidence = findings
    .map((f) => (f.evidence ?? '').replace(ELLIPSIS, '').trim())
    .filter((e) => e.length >= MIN_EVIDENCE_CHARS);
  const found = new Set<number>();
  lines.forEach((line, i) => {
    if (line === '') return;
    const tested = line.length > TESTED_CHARS ? line.slice(0, TESTED_CHARS) : line;
    if (evidence.some((e) => line.includes(e)) || RULE_PATTERNS.some((re) => re.test(tested))) found.add(i);
  });
  return found;
}
