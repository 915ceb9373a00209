import { logLinePatternsOf } from '../diagnose/matchers.js';
import { RULES } from '../diagnose/rules/index.js';
import type { Finding } from '../model/finding.js';

// A named group, not a lookbehind and not an escaped parenthesis: only capturing differs, not what matches.
const NAMED_GROUP = /(?<!\\)\(\?<(?![=!])[A-Za-z_$][\w$]*>/g;
// Backreferences depend on group numbers and names, which joining patterns changes.
const BACKREFERENCE = /\\[1-9]|\\k</;

/**
 * The diagnosis rules' log patterns, joined into one alternation per set of flags (two instead of ~36 tests
 * per line: the page's first render spent most of its time here). `(?:a)|(?:b)` matches a line exactly when
 * a or b does; a pattern with a backreference stays on its own, as its group numbers would shift.
 */
function joinedPatterns(patterns: readonly RegExp[]): RegExp[] {
  const byFlags = new Map<string, string[]>();
  const alone: RegExp[] = [];
  for (const re of patterns) {
    const flags = re.flags.replace(/[gy]/g, '');
    if (BACKREFERENCE.test(re.source)) {
      alone.push(new RegExp(re.source, flags));
      continue;
    }
    const sources = byFlags.get(flags) ?? [];
    sources.push(`(?:${re.source.replace(NAMED_GROUP, '(?:')})`);
    byFlags.set(flags, sources);
  }
  return [...[...byFlags].map(([flags, sources]) => new RegExp(sources.join('|'), flags)), ...alone];
}

// A line any of these matches is a line a diagnosis rule would quote.
const RULE_PATTERNS: readonly RegExp[] = joinedPatterns(RULES.flatMap((rule) => logLinePatternsOf(rule.matcher)));
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
