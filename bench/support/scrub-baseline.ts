// The scrubber as it was before secretlint rules were added (commit eb9678f, src/enrich/scrub.ts), kept only as
// the baseline of bench/scrub-bench.ts. Not used by the service.
/**
 * Secret scrubbing (docs/design.md, "Security rules"): pure functions applied to every log line, event
 * message and container message before it is stored or leaves the service.
 *
 * Linear time matters: the input is attacker-influenced (a migration can print anything) and JavaScript's
 * regex engine backtracks. Every rule below follows two rules: no nested quantifiers, and the first token
 * is guarded by a negative lookbehind for the characters its body consumes, so an attempt can only start
 * at the beginning of a run and no character is rescanned by more than a bounded number of attempts.
 */

export const REDACTED = '[REDACTED]';

/** One built-in pattern: what it hides and how. */
export interface ScrubRule {
  id: string;
  pattern: RegExp;
  replace: (match: string, ...groups: string[]) => string;
}

const keepHead = (_match: string, head: string): string => `${head}${REDACTED}`;

/** Keys whose value is a secret, in `k=v`, `k: v`, `"k": "v"` and `k="v"` forms (any prefix: PGPASSWORD). */
const SECRET_KEYS = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'client[_-]?secret',
  'secret[_-]?access[_-]?key',
  'secret[_-]?key',
  'access[_-]?token',
  'refresh[_-]?token',
  'auth[_-]?token',
  'token',
  'api[_-]?key',
  'apikey',
  'private[_-]?key',
  'credentials?',
].join('|');

/** Built-in rules, in the order they run. */
export const BUILTIN_RULES: readonly ScrubRule[] = [
  {
    // A block without its END line (cut by the byte cap, or printed partly) ends at the end of the text or
    // at the first line that is not base64 (nor a PEM header), so the log lines after it survive.
    id: 'private-key',
    pattern:
      /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----|$|(?=\r?\n(?!Proc-Type:|DEK-Info:)[A-Za-z0-9+/=]*[^A-Za-z0-9+/=\r\n]))/g,
    replace: () => '[REDACTED PRIVATE KEY]',
  },
  {
    id: 'url-credentials',
    pattern: /(?<![\w+.-])([a-z][a-z0-9+.-]{1,30}:\/\/[^\s:@/]{0,256}:)[^\s/]{1,256}@/gi,
    replace: (_m, head = '') => `${head}${REDACTED}@`,
  },
  {
    id: 'authorization',
    pattern:
      /(?<![\w-])(authorization["']?[ \t]{0,5}[:=][ \t]{0,5}["']?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?)[^\s"',;]+/gi,
    replace: keepHead,
  },
  {
    id: 'bearer',
    pattern: /(?<![\w-])(bearer[ \t]+)[A-Za-z0-9._~+/-]{12,}=*/gi,
    replace: keepHead,
  },
  {
    id: 'jwt',
    pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
    replace: () => '[REDACTED JWT]',
  },
  {
    id: 'aws-access-key-id',
    pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    replace: () => '[REDACTED AWS KEY ID]',
  },
  {
    id: 'token-formats',
    // GitHub and Slack tokens carry their own prefix, so they are found without a key.
    pattern: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255}|xox[abposr]-[A-Za-z0-9-]{10,250})/g,
    replace: () => REDACTED,
  },
  {
    id: 'secret-pair',
    pattern: new RegExp(
      `(?<![\\w-])([\\w.-]{0,40}?(?:${SECRET_KEYS})["']?[ \\t]{0,10}[:=][ \\t]{0,10})("(?:[^"\\\\\\r\\n]|\\\\.){0,4096}"|'[^'\\r\\n]{0,4096}'|[^\\s"',;&}]{1,4096})`,
      'gi',
    ),
    replace: (_m, head = '', value = '') => {
      const quote = value.startsWith('"') ? '"' : value.startsWith("'") ? "'" : '';
      return `${head}${quote}${REDACTED}${quote}`;
    },
  },
  {
    id: 'secret-flag',
    pattern: /(?<![\w-])(--?(?:password|passwd|token|secret|api-key)[ \t]+)(?!-)[^\s"']{1,4096}/gi,
    replace: keepHead,
  },
];

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

/**
 * Build the scrubber from the built-in rules plus configured patterns. Throws on a pattern that
 * `checkScrubPattern` refuses (config validation already reports those with their path).
 */
export function createScrubber(extraPatterns: readonly string[] = []): Scrubber {
  const extra = extraPatterns.map((source, i): ScrubRule => {
    const problem = checkScrubPattern(source);
    if (problem !== null) throw new Error(`scrub.patterns.${i}: ${problem}`);
    return { id: `config-${i}`, pattern: new RegExp(source, 'g'), replace: () => REDACTED };
  });
  const rules = [...BUILTIN_RULES, ...extra];
  return (text: string): string => {
    let out = text;
    for (const rule of rules) out = out.replace(rule.pattern, rule.replace);
    return out;
  };
}

/** Apply a scrubber to every string inside a JSON-like value (reports, snapshots). */
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
