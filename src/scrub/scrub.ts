import { PROJECT_RULES } from './project-rules.js';
import { REDACTED, type Redaction, type ScrubRule } from './scrub-rule.js';
import { secretlintRules } from './secretlint-rules.js';

/**
 * Secret scrubbing (docs/design.md, "Security rules"): one pure function for every text that is stored or
 * leaves the service, whatever its source (logs, container and event messages, the webhook body).
 *
 * Every rule (secretlint's recommended preset, the project's own rules, the configured patterns) reports the
 * parts to hide on the original text; the parts are merged and replaced once. So the rules do not see each
 * other's markers, their order does not matter, and scrubbing twice changes nothing.
 */

export { REDACTED };
export type { ScrubRule };

/** The rules every scrubber runs, before the configured patterns. */
export const BUILTIN_RULES: readonly ScrubRule[] = [...PROJECT_RULES, ...secretlintRules()];

// A group that contains a quantifier and is itself quantified: `(a+)+`, `(\w*x)*`, `(a|b+){2,}`.
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*?[*+}](?:[^()\\]|\\.)*?\)[*+{]/;

/**
 * Why a configured pattern cannot be used, or null when it can. Bad syntax, matching the empty string and
 * nested quantifiers (exponential backtracking on a long log line) are refused at start-up.
 */
export function checkScrubPattern(source: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(source, 'g');
  } catch (err) {
    return `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (re.test('')) return 'the pattern matches the empty string, so it would redact nothing useful: make it match at least one character';
  if (NESTED_QUANTIFIER.test(source)) {
    return 'the pattern has a nested quantifier (a repeated group that itself repeats), which can take exponential time on a long log line: rewrite it without nesting';
  }
  return null;
}

/** A function that hides secrets in a text. */
export type Scrubber = (text: string) => string;

// A part that is already nothing but markers is left as it is, so that a second pass changes nothing.
const ONLY_MARKERS = /^(?:\[REDACTED[A-Z0-9 ]{0,30}\][ \t]*)+$/;

/** Replace the found parts (merged where they overlap or touch) by their markers. */
function applyRedactions(text: string, found: Redaction[]): string {
  if (found.length === 0) return text;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  let i = 0;
  while (i < found.length) {
    const first = found[i] as Redaction;
    let end = first.end;
    let label = first.label;
    i += 1;
    for (let next = found[i]; next !== undefined && next.start <= end; next = found[i]) {
      if (next.end > end) end = next.end;
      // A merged part keeps the most specific marker ([REDACTED PRIVATE KEY] over [REDACTED]).
      if (label === REDACTED) label = next.label;
      i += 1;
    }
    const start = Math.max(first.start, at);
    if (end <= start) continue;
    const part = text.slice(start, end);
    out += text.slice(at, start) + (ONLY_MARKERS.test(part) ? part : label);
    at = end;
  }
  return out + text.slice(at);
}

/** The lines of a text that contain a keyword: `[start, end)` pairs, flat, adjacent lines merged. */
type LineRanges = number[];

function escapeLiteral(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Where a keyword set occurs: one case-insensitive scan of the text that skips to the next line after a
 * hit, so a line counts once and the cost stays one pass however many hits there are.
 */
function keywordLines(re: RegExp, text: string): LineRanges {
  const ranges: LineRanges = [];
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const start = m.index === 0 ? 0 : text.lastIndexOf('\n', m.index - 1) + 1;
    const nl = text.indexOf('\n', m.index);
    const end = nl === -1 ? text.length : nl;
    const last = ranges.length - 1;
    if (ranges.length > 0 && (ranges[last] ?? 0) + 1 >= start) ranges[last] = end;
    else ranges.push(start, end);
    if (nl === -1) break;
    re.lastIndex = nl + 1;
  }
  return ranges;
}

/** A rule with its keyword scan compiled; rules with the same keywords share one scan per text. */
interface PreparedRule {
  rule: ScrubRule;
  scanKey: string | null;
  scan: RegExp | null;
}

function prepare(rule: ScrubRule): PreparedRule {
  const keywords = rule.keywords ?? [];
  if (keywords.length === 0) return { rule, scanKey: null, scan: null };
  const sorted = [...new Set(keywords.map((k) => k.toLowerCase()))].sort();
  return { rule, scanKey: sorted.join('\u0000'), scan: new RegExp(sorted.map(escapeLiteral).join('|'), 'gi') };
}

/** The parts of a text that rules find, each rule run only where its keywords are (the text, or those lines). */
export function findRedactions(rules: readonly ScrubRule[], text: string): Redaction[] {
  return findPrepared(rules.map(prepare), text);
}

function findPrepared(rules: readonly PreparedRule[], text: string): Redaction[] {
  const found: Redaction[] = [];
  const scans = new Map<string, LineRanges>();
  for (const { rule, scanKey, scan } of rules) {
    if (scanKey === null || scan === null) {
      rule.find(text, found, 0);
      continue;
    }
    let ranges = scans.get(scanKey);
    if (ranges === undefined) {
      ranges = keywordLines(scan, text);
      scans.set(scanKey, ranges);
    }
    if (ranges.length === 0) continue;
    if (rule.singleLine !== true || (ranges[0] === 0 && ranges[1] === text.length)) {
      rule.find(text, found, 0);
      continue;
    }
    for (let i = 0; i < ranges.length; i += 2) {
      const start = ranges[i] ?? 0;
      rule.find(text.slice(start, ranges[i + 1]), found, start);
    }
  }
  return found;
}

/**
 * Build the scrubber from the built-in rules plus configured patterns. Throws on a pattern that
 * `checkScrubPattern` refuses (config validation already reports those with their path).
 */
export function createScrubber(extraPatterns: readonly string[] = []): Scrubber {
  const extra = extraPatterns.map((source, i): ScrubRule => {
    const problem = checkScrubPattern(source);
    if (problem !== null) throw new Error(`scrub.patterns.${i}: ${problem}`);
    const re = new RegExp(source, 'g');
    return {
      id: `config-${i}`,
      find: (text, found) => {
        re.lastIndex = 0;
        for (let m = re.exec(text); m !== null; m = re.exec(text)) {
          if (m[0].length === 0) re.lastIndex += 1;
          else found.push({ start: m.index, end: m.index + m[0].length, label: REDACTED });
        }
      },
    };
  });
  const rules = [...BUILTIN_RULES, ...extra].map(prepare);
  return (text: string): string => {
    if (text.length === 0) return text;
    return applyRedactions(text, findPrepared(rules, text));
  };
}

/** Apply a scrubber to every string inside a JSON-like value (reports, snapshots, alerts). */
export function scrubDeep<T>(value: T, scrub: Scrubber): T {
  return scrubValue(value, scrub) as T;
}

function scrubValue(value: unknown, scrub: Scrubber): unknown {
  if (typeof value === 'string') return scrub(value);
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, scrub));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubValue(v, scrub)]));
  }
  return value;
}
