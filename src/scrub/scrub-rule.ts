/** The marker that stands where a secret was. */
export const REDACTED = '[REDACTED]';

/** A part of a text to hide, and what stands in its place. */
export interface Redaction {
  start: number;
  end: number;
  label: string;
}

/**
 * One scrub rule: finds the parts of a text to hide and pushes them to `found` (in any order, overlaps
 * allowed), each shifted by `offset` (the scrubber passes a slice of the text and where it starts).
 *
 * `keywords` (lower case, matched case-insensitively): one of them is in every match, so the scrubber skips
 * a text without any (as gitleaks does). With `singleLine` too (no match spans a `\n`, and the rule reads
 * nothing across one), the scrubber runs the rule only on the lines that contain a keyword.
 */
export interface ScrubRule {
  id: string;
  keywords?: readonly string[];
  singleLine?: boolean;
  find: (text: string, found: Redaction[], offset?: number) => void;
}

/**
 * A regex with its `secret…` groups made plain numbered groups, and their numbers. V8 builds the `d` flag's
 * `indices.groups` object on every match, which costs 15 times the match itself ("authorization: "
 * repeated: 3.6 ms against 0.55 ms per 64 KiB); numbered indices are cheap.
 */
export interface SecretRegex {
  re: RegExp;
  secretGroups: number[];
}

/** Compile `source` with `flags` (plus `d`), the `secret…` named groups numbered. */
export function secretRegex(source: string, flags: string): SecretRegex {
  let out = '';
  let group = 0;
  let inClass = false;
  const secretGroups: number[] = [];
  for (let i = 0; i < source.length; i += 1) {
    const c = source.charAt(i);
    if (c === '\\') {
      out += source.slice(i, i + 2);
      i += 1;
      continue;
    }
    if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') {
      const named = /^\(\?<([A-Za-z_$][\w$]*)>/.exec(source.slice(i, i + 80));
      if (named !== null) {
        group += 1;
        if (named[1]?.startsWith('secret') === true) secretGroups.push(group);
        out += '(';
        i += named[0].length - 1;
        continue;
      }
      if (source.charAt(i + 1) !== '?') group += 1;
    }
    out += c;
  }
  return { re: new RegExp(out, [...new Set(`${flags}d`)].join('')), secretGroups };
}

/** The range hidden for one match: the first `secret…` group that took part, else the whole match. */
export function hiddenRange(m: RegExpExecArray, secretGroups: readonly number[]): [number, number] {
  for (const g of secretGroups) {
    const r = m.indices?.[g];
    if (r !== undefined) return r;
  }
  return [m.index, m.index + m[0].length];
}

/** Push every match of a global regex in `text` as a redaction. */
function pushMatches({ re, secretGroups }: SecretRegex, text: string, found: Redaction[], offset: number, label: string): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex += 1;
      continue;
    }
    const [start, end] = hiddenRange(m, secretGroups);
    if (end > start) found.push({ start: start + offset, end: end + offset, label });
  }
}

export interface RegexRuleOptions {
  /** What stands in place of a match (default `[REDACTED]`). */
  label?: string;
  /** Lower-case literals one of which every match contains (see `ScrubRule.keywords`). */
  keywords?: readonly string[];
  /** No match spans a line (see `ScrubRule.singleLine`); true unless said otherwise. */
  singleLine?: boolean;
}

/**
 * A rule from one regular expression (flag `g` added). The part hidden is the first group named
 * `secret…` that took part in the match, else the whole match; so a rule keeps its context (`password=`,
 * the quotes, the host of a URL) by leaving it outside that group.
 */
export function regexRule(id: string, pattern: RegExp, options: RegexRuleOptions = {}): ScrubRule {
  const compiled = secretRegex(pattern.source, `${pattern.flags}g`);
  const label = options.label ?? REDACTED;
  return {
    id,
    ...(options.keywords !== undefined ? { keywords: options.keywords } : {}),
    singleLine: options.singleLine ?? true,
    find: (text, found, offset = 0) => pushMatches(compiled, text, found, offset, label),
  };
}

/**
 * A rule that starts only where a literal is (`anchor`, matched case-insensitively): at each occurrence
 * the sticky `pattern` is tried with its `lastIndex` there (a lookbehind in it reads the text before). A
 * pattern that opens with a lookbehind is otherwise tried at every position of the text, lookbehind first.
 */
export function anchoredRule(id: string, anchor: string, pattern: RegExp, options: RegexRuleOptions = {}): ScrubRule {
  const { re, secretGroups } = secretRegex(pattern.source, `${pattern.flags.replace('g', '')}y`);
  const label = options.label ?? REDACTED;
  const needle = anchor.toLowerCase();
  const caseless = needle !== needle.toUpperCase();
  const find = new RegExp(needle.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'), caseless ? 'gi' : 'g');
  return {
    id,
    // The anchor's own scan is the keyword check, so no separate one.
    ...(options.keywords !== undefined ? { keywords: options.keywords } : {}),
    singleLine: options.singleLine ?? true,
    find: (text, found, offset = 0) => {
      find.lastIndex = 0;
      for (let a = find.exec(text); a !== null; a = find.exec(text)) {
        re.lastIndex = a.index;
        const m = re.exec(text);
        if (m === null || m[0].length === 0) continue;
        const [start, end] = hiddenRange(m, secretGroups);
        if (end > start) found.push({ start: start + offset, end: end + offset, label });
        find.lastIndex = Math.max(find.lastIndex, re.lastIndex);
      }
    },
  };
}
