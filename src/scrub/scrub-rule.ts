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
 * allowed). `lower` is the text in lower case, computed once per text for the rules' keyword checks.
 */
export interface ScrubRule {
  id: string;
  find: (text: string, found: Redaction[], lower: string) => void;
}

/**
 * A rule from one regular expression (flags `dg` added). The part hidden is the first group named
 * `secret…` that took part in the match, else the whole match; so a rule keeps its context (`password=`,
 * the quotes, the host of a URL) by leaving it outside that group. `keywords` (lower case): one of them is
 * in every match, so a text without any is skipped.
 */
export function regexRule(id: string, pattern: RegExp, label = REDACTED, keywords: readonly string[] = []): ScrubRule {
  const flags = [...new Set(`${pattern.flags}dg`)].join('');
  const re = new RegExp(pattern.source, flags);
  return {
    id,
    find: (text, found, lower) => {
      // As gitleaks does: a rule whose match must contain one of its keywords skips a text without any.
      if (keywords.length > 0 && !keywords.some((k) => lower.includes(k))) return;
      re.lastIndex = 0;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex += 1;
          continue;
        }
        let range: [number, number] | undefined;
        const groups = m.indices?.groups;
        if (groups !== undefined) {
          for (const [name, r] of Object.entries(groups)) {
            if (name.startsWith('secret') && r !== undefined) {
              range = r;
              break;
            }
          }
        }
        const [start, end] = range ?? [m.index, m.index + m[0].length];
        if (end > start) found.push({ start, end, label });
      }
    },
  };
}
