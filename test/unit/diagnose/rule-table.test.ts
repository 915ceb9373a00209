import { readFileSync } from 'node:fs';
import t from 'tap';
import { patternsOf } from '../../../src/diagnose/matchers.js';
import { RULES } from '../../../src/diagnose/rules/index.js';

/**
 * Why a pattern could take more than linear time on a backtracking engine: unbounded quantifiers (`*`,
 * `+`, `{n,}`) and quantified groups that contain a quantifier. With every repetition bounded by k, the
 * cost per line is O(line × k), and lines are capped before matching.
 */
function backtrackingRisks(source: string): string[] {
  const problems: string[] = [];
  const frames: { quantified: boolean }[] = [{ quantified: false }];
  let closedGroup: { quantified: boolean } | null = null;
  let inClass = false;
  const top = (): { quantified: boolean } => frames[frames.length - 1] ?? { quantified: false };
  const quantifier = (at: number, repeats: boolean): void => {
    if (repeats && closedGroup?.quantified === true) problems.push(`nested quantifier at ${at}`);
    top().quantified = true;
    closedGroup = null;
  };
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      closedGroup = null;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      closedGroup = null;
    } else if (c === '(') {
      frames.push({ quantified: false });
      if (source[i + 1] === '?') {
        const lookbehind = source[i + 2] === '<' && (source[i + 3] === '=' || source[i + 3] === '!');
        if (source[i + 2] === '<' && !lookbehind) i = source.indexOf('>', i);
        else i += lookbehind ? 3 : 2;
      }
      closedGroup = null;
    } else if (c === ')') {
      const frame = frames.pop() ?? { quantified: false };
      if (frame.quantified) top().quantified = true;
      closedGroup = frame;
    } else if (c === '*' || c === '+') {
      problems.push(`unbounded ${c} at ${i}`);
      quantifier(i, true);
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (m === null) continue;
      if (m[2] !== undefined && m[3] === '') problems.push(`unbounded {n,} at ${i}`);
      quantifier(i, m[2] !== undefined || Number(m[1]) > 1);
      i += m[0].length - 1;
    } else if (c === '?') {
      // Optional (at most once) or the lazy mark after a quantifier: never a repetition.
      quantifier(i, false);
    } else {
      closedGroup = null;
    }
  }
  return problems;
}

t.test('the lint catches what it is meant to catch', async (t) => {
  t.same(backtrackingRisks('a.*b'), ['unbounded * at 2']);
  t.same(backtrackingRisks('(a+)+'), ['unbounded + at 2', 'unbounded + at 4', 'nested quantifier at 4']);
  t.same(backtrackingRisks('(?:a{1,3}){1,3}'), ['nested quantifier at 10']);
  t.same(backtrackingRisks('x{2,}'), ['unbounded {n,} at 1']);
  t.same(backtrackingRisks(String.raw`(?<n>[^"]{1,9})"(?: of "[^"]{1,9}")?[*+]\*`), []);
});

t.test('rule ids are unique and named after their family', async (t) => {
  const seen = new Set<string>();
  for (const rule of RULES) {
    t.notOk(seen.has(rule.id), `${rule.id} is unique`);
    seen.add(rule.id);
    t.ok(rule.id.startsWith(`${rule.family}.`), `${rule.id} starts with ${rule.family}.`);
    t.ok(Number.isFinite(rule.priority), `${rule.id} has a priority`);
    for (const superseded of rule.supersedes ?? []) {
      const other = RULES.find((r) => r.id === superseded);
      t.ok(other !== undefined, `${rule.id} supersedes an existing rule (${superseded})`);
      t.ok(other !== undefined && other.priority < rule.priority, `${superseded} is less specific than ${rule.id}`);
    }
  }
});

t.test('fixed texts are not empty and fixed docs links are https', async (t) => {
  for (const rule of RULES) {
    for (const [name, text] of [['title', rule.title], ['hint', rule.hint], ['docs', rule.docs]] as const) {
      if (typeof text === 'string') t.ok(text.trim().length > 0, `${rule.id} ${name} is not empty`);
    }
    if (typeof rule.docs === 'string') t.match(rule.docs, /^https:\/\/[^\s]+$/, `${rule.id} docs is an https URL`);
    // Functions are exercised by every positive case in rules.test.ts, which checks their output.
  }
});

t.test('every pattern is linear-time and stateless', async (t) => {
  for (const rule of RULES) {
    for (const pattern of patternsOf(rule.matcher)) {
      t.same(backtrackingRisks(pattern.source), [], `${rule.id}: /${pattern.source.slice(0, 60)}…/ has bounded repetition`);
      t.notOk(pattern.global || pattern.sticky, `${rule.id}: no g/y flag (exec must not keep lastIndex)`);
    }
  }
});

t.test('docs/diagnosis-rules.md lists every rule', async (t) => {
  const doc = readFileSync(new URL('../../../docs/diagnosis-rules.md', import.meta.url), 'utf8');
  for (const rule of RULES) t.match(doc, `\`${rule.id}\``, `${rule.id} is documented`);
});
