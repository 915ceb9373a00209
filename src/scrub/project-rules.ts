import { anchoredRule, hiddenRange, REDACTED, regexRule, secretRegex, type Redaction, type ScrubRule } from './scrub-rule.js';

/*
 * The project's own rules: what secretlint's recommended preset does not find in logs, container and event
 * messages, and webhook text (key=value forms, command lines, credential formats, partial PEM blocks,
 * Kubernetes Secret dumps).
 *
 * Linear time matters: the input is attacker-influenced (a migration can print anything) and JavaScript's
 * regex engine backtracks. Every pattern below follows two rules: no nested quantifiers, and the first token
 * is guarded by a negative lookbehind for the characters its body consumes, so an attempt can only start at
 * the beginning of a run and no character is rescanned by more than a bounded number of attempts (bounded
 * quantifiers such as `{0,200}` bound that number). What needs more than that is a scanner in code, below.
 */

/** Keys whose value is a secret, in `k=v`, `k: v`, `"k": "v"` and `k="v"` forms (any prefix: PGPASSWORD, DB_PASS). */
const SECRET_KEYS = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  // DB_PASS, PASS; not bypass or compass.
  '(?<![a-z0-9])pass',
  'secret',
  'client[_-]?secret',
  'secret[_-]?access[_-]?key',
  'secret[_-]?key',
  // SECRET_KEY_BASE (Rails), RAILS_MASTER_KEY, Azure AccountKey= and SharedAccessKey=.
  'key[_-]?base',
  'master[_-]?key',
  'account[_-]?key',
  'shared[_-]?access[_-]?key',
  'access[_-]?key',
  'encryption[_-]?key',
  'signing[_-]?key',
  'access[_-]?token',
  'refresh[_-]?token',
  'auth[_-]?token',
  'private[_-]?token',
  'token',
  'api[_-]?key',
  'apikey',
  'private[_-]?key',
  'credentials?',
  // Azure SAS URLs: &sig=...
  '(?<![a-z0-9])sig',
].join('|');

/** Substrings one of which every SECRET_KEYS match contains. */
const SECRET_KEY_WORDS = ['pass', 'pwd', 'secret', 'key', 'token', 'credential', 'sig'];

/** A PEM private key's first and last lines. */
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----/g;
const PEM_END = /-----END [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----/g;
const PEM_LABEL = '[REDACTED PRIVATE KEY]';
// A line of a key's body: base64, after whatever prefix a log adds (a timestamp, `[pod/x/c]`).
const BASE64_TAIL = /(?:^|[ \t])([A-Za-z0-9+/]{1,200}={0,2})[ \t]*\r?$/;
const PEM_HEADER = /(?:^|[ \t])(?:Proc-Type|DEK-Info|Comment):/;

interface Line {
  start: number;
  end: number;
  text: string;
}

function lineAt(text: string, start: number): Line {
  const nl = text.indexOf('\n', start);
  const end = nl === -1 ? text.length : nl;
  return { start, end, text: text.slice(start, end) };
}

function lineBefore(text: string, line: Line): Line | null {
  if (line.start === 0) return null;
  const prevEnd = line.start - 1;
  const prevStart = text.lastIndexOf('\n', prevEnd - 1) + 1;
  return { start: prevStart, end: prevEnd, text: text.slice(prevStart, prevEnd) };
}

/** Whether a line belongs to a key's body: base64 (16+ characters, or any length just before END), a header, or blank. */
function isKeyBodyLine(line: string, beforeEnd: boolean): boolean {
  if (line.trim() === '' || PEM_HEADER.test(line)) return true;
  const m = BASE64_TAIL.exec(line);
  if (m === null) return false;
  return beforeEnd || (m[1]?.length ?? 0) >= 16;
}

/**
 * PEM private keys, whole or in part: from BEGIN to END; without END (cut by a byte cap, or the text ends)
 * up to the first line that is not base64; and without BEGIN (it fell before the log's tail window) the
 * base64 lines just before END. Lines may carry a prefix (`kubectl logs --timestamps`, `--prefix`).
 */
const pemBlock: ScrubRule = {
  id: 'private-key',
  keywords: ['private key'],
  find: (text, found) => {
    let coveredUntil = -1;
    PEM_BEGIN.lastIndex = 0;
    for (let m = PEM_BEGIN.exec(text); m !== null; m = PEM_BEGIN.exec(text)) {
      const start = m.index;
      let end = start + m[0].length;
      let next = text.indexOf('\n', end);
      // The rest of BEGIN's own line: a key escaped into one line (`\\n` in JSON) ends there or at its END.
      const rest = text.slice(end, next === -1 ? text.length : next);
      PEM_END.lastIndex = 0;
      const sameLineEnd = PEM_END.exec(rest);
      if (sameLineEnd !== null) {
        end += sameLineEnd.index + sameLineEnd[0].length;
        next = -1;
      } else if (rest.trim() !== '') {
        end += rest.length;
      }
      while (next !== -1) {
        const line = lineAt(text, next + 1);
        PEM_END.lastIndex = 0;
        const endMatch = PEM_END.exec(line.text);
        if (endMatch !== null) {
          end = line.start + endMatch.index + endMatch[0].length;
          break;
        }
        const following = line.end < text.length ? lineAt(text, line.end + 1).text : '';
        PEM_END.lastIndex = 0;
        if (!isKeyBodyLine(line.text, PEM_END.test(following))) break;
        if (line.text.trim() !== '') end = line.end;
        next = line.end < text.length ? line.end : -1;
      }
      found.push({ start, end, label: PEM_LABEL });
      coveredUntil = Math.max(coveredUntil, end);
      PEM_BEGIN.lastIndex = Math.max(PEM_BEGIN.lastIndex, end);
    }
    PEM_END.lastIndex = 0;
    for (let m = PEM_END.exec(text); m !== null; m = PEM_END.exec(text)) {
      if (m.index < coveredUntil) continue;
      const endLine = lineAt(text, text.lastIndexOf('\n', m.index) + 1);
      let start = m.index;
      let first = true;
      for (let line = lineBefore(text, endLine); line !== null; line = lineBefore(text, line)) {
        if (!isKeyBodyLine(line.text, first) || line.text.trim() === '') break;
        const tail = BASE64_TAIL.exec(line.text);
        start = tail === null ? line.start : line.start + line.text.lastIndexOf(tail[1] ?? '');
        first = false;
      }
      if (!first) found.push({ start, end: m.index + m[0].length, label: PEM_LABEL });
    }
  },
};

const DATA_YAML = /^([ \t]*)(?:data|binaryData):[ \t]*\r?$/gm;
const DATA_YAML_ENTRY = /^([ \t]+)["']?[^\s:"']{1,253}["']?:[ \t]*([A-Za-z0-9+/]{1,65536}={0,2})[ \t]*\r?$/;
const DATA_JSON = /"(?:data|binaryData)"[ \t]*:[ \t]*\{/g;
const DATA_JSON_ENTRY = /\s*"[^"\\\r\n]{1,253}"\s*:\s*"([A-Za-z0-9+/]{0,65536}={0,2})"\s*,?/y;

/**
 * The values of a Kubernetes Secret's `data` (base64, so no key name tells they are secret), as
 * `kubectl get secret -o yaml` and `-o json` print them: every base64 value under `data:`/`binaryData:`.
 */
const kubeSecretData: ScrubRule = {
  id: 'kube-secret-data',
  keywords: ['data'],
  find: (text, found) => {
    DATA_YAML.lastIndex = 0;
    for (let m = DATA_YAML.exec(text); m !== null; m = DATA_YAML.exec(text)) {
      const indent = m[1]?.length ?? 0;
      let next = text.indexOf('\n', m.index + m[0].length);
      while (next !== -1) {
        const line = lineAt(text, next + 1);
        const entry = DATA_YAML_ENTRY.exec(line.text);
        if (entry === null || (entry[1]?.length ?? 0) <= indent) break;
        const value = entry[2] ?? '';
        const at = line.start + line.text.lastIndexOf(value);
        found.push({ start: at, end: at + value.length, label: REDACTED });
        next = line.end < text.length ? line.end : -1;
      }
      DATA_YAML.lastIndex = Math.max(DATA_YAML.lastIndex, next === -1 ? text.length : next);
    }
    DATA_JSON.lastIndex = 0;
    for (let m = DATA_JSON.exec(text); m !== null; m = DATA_JSON.exec(text)) {
      DATA_JSON_ENTRY.lastIndex = m.index + m[0].length;
      for (let e = DATA_JSON_ENTRY.exec(text); e !== null; e = DATA_JSON_ENTRY.exec(text)) {
        const value = e[1] ?? '';
        const at = DATA_JSON_ENTRY.lastIndex - e[0].length + e[0].lastIndexOf(`"${value}"`) + 1;
        if (value.length > 0) found.push({ start: at, end: at + value.length, label: REDACTED });
      }
      DATA_JSON.lastIndex = Math.max(DATA_JSON.lastIndex, DATA_JSON_ENTRY.lastIndex);
    }
  },
};

/** Whether a UTF-16 code is in `[\w-]` (ASCII letters, digits, `_`, `-`). */
function isWordOrDash(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

/**
 * A `key=value` rule, scanned from the key: `(?<![\w-])[\w.-]{0,40}?(?:KEYS)…` as one regex would start
 * an attempt at every dotted prefix and try 40 lengths times every key there ("x.password" runs cost 4 ms
 * per 64 KiB). The same matches come from each place a key starts: the prefix exists iff one of the 41
 * characters before the key is not `[\w-]` (or the text starts there), and for `quoteBefore` rules that
 * character is not a quote. Then the sticky `(?:KEYS)…` is tried there; after a match the scan goes on
 * from its end, as a global regex does.
 */
function keyedRule(id: string, keys: string, rest: string, quoteBefore: boolean): ScrubRule {
  const start = new RegExp(`(?:${keys})`, 'gi');
  const { re: whole, secretGroups } = secretRegex(`(?:${keys})${rest}`, 'iy');
  const prefixOk = (text: string, at: number): boolean => {
    for (let j = at - 1; j >= at - 41; j -= 1) {
      if (j < 0) return true;
      const c = text.charCodeAt(j);
      // 34 and 39: `"` and `'`.
      if (!isWordOrDash(c)) return !quoteBefore || (c !== 34 && c !== 39);
    }
    return false;
  };
  return {
    id,
    keywords: SECRET_KEY_WORDS,
    singleLine: true,
    find: (text, found, offset = 0) => {
      start.lastIndex = 0;
      for (let k = start.exec(text); k !== null; k = start.exec(text)) {
        const at = k.index;
        start.lastIndex = at + 1;
        if (!prefixOk(text, at)) {
          // The 41 characters before are all [\w-]: so is every window until the run ends, so no key
          // before the next other character can pass (one forward scan: "passwordpassword…" in one step).
          let q = at;
          while (q < text.length && isWordOrDash(text.charCodeAt(q))) q += 1;
          start.lastIndex = q + 1;
          continue;
        }
        whole.lastIndex = at;
        const m = whole.exec(text);
        if (m === null) continue;
        const [from, to] = hiddenRange(m, secretGroups);
        if (to > from) found.push({ start: from + offset, end: to + offset, label: REDACTED });
        start.lastIndex = Math.max(at + 1, whole.lastIndex);
      }
    },
  };
}

const MYSQL_WORD = /(?<![\w-])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlsh|mariadb|mariadb-dump)(?![\w-])/g;
const MYSQL_FLAG_AT = /[ \t]-p/g;
// The whole `-p…` after the space is hidden (the password, with its quotes if any).
const MYSQL_FLAG = /[ \t]-p([^\s'"-][^\s'"]{0,4095}|'[^'\r\n]{1,4096}'|"[^"\r\n]{1,4096}")/y;
const COMMAND_END = /[\r\n|;&]/g;

/**
 * mysql -pSECRET (no space: `-p` alone prompts) in the mysql family's command lines: the first `-p…`
 * within 200 characters after the program's name, in the same command (no `|;&` or line break between).
 * As the regex `mysql[^\r\n|;&]{0,200}?[ \t]-p…` it would rescan 200 characters after every name ("mysql "
 * repeated: 9 ms per 64 KiB); here the next `-p…` and the next command end are each found once and reused
 * while the names move forward past them.
 */
const mysqlPasswordFlag: ScrubRule = {
  id: 'mysql-password-flag',
  find: (text, found, offset = 0) => {
    let flagAt = -1;
    let flag: RegExpExecArray | null = null;
    let flagSearchedTo = 0;
    let commandEnd = -1;
    MYSQL_WORD.lastIndex = 0;
    for (let w = MYSQL_WORD.exec(text); w !== null; w = MYSQL_WORD.exec(text)) {
      const from = w.index + w[0].length;
      if (flagAt !== Infinity && flagAt < from) {
        // The first `[ \t]-p…` that matches at or after `from`; every candidate is tried once.
        flagAt = Infinity;
        flag = null;
        MYSQL_FLAG_AT.lastIndex = Math.max(from, flagSearchedTo);
        for (let c = MYSQL_FLAG_AT.exec(text); c !== null; c = MYSQL_FLAG_AT.exec(text)) {
          MYSQL_FLAG.lastIndex = c.index;
          const m = MYSQL_FLAG.exec(text);
          MYSQL_FLAG_AT.lastIndex = c.index + 1;
          if (m !== null) {
            flagAt = c.index;
            flag = m;
            break;
          }
        }
        flagSearchedTo = flagAt === Infinity ? text.length : flagAt + 1;
      }
      if (flag === null) return;
      if (commandEnd !== Infinity && commandEnd < from) {
        COMMAND_END.lastIndex = from;
        const e = COMMAND_END.exec(text);
        commandEnd = e === null ? Infinity : e.index;
      }
      if (flagAt - from > 200 || commandEnd < flagAt) continue;
      const end = flagAt + flag[0].length;
      found.push({ start: end - (flag[1] ?? '').length + offset, end: end + offset, label: REDACTED });
      MYSQL_WORD.lastIndex = flagAt + flag[0].length;
    }
  },
};

/** `host:port:database:user:password`, a .pgpass line. */
const PGPASS = /^[ \t]*[^\s:#]{1,253}:(?:\d{1,5}|\*):[^\s:]{1,63}:[^\s:]{1,63}:(?<secret>[^\s]{1,256})[ \t]*\r?$/gm;

/** The project's rules, in the order they run (the order does not change the result: redactions are merged). */
export const PROJECT_RULES: readonly ScrubRule[] = [
  pemBlock,
  kubeSecretData,
  // Starts at the literal `://` (the scheme is a lookbehind from there): as a plain regex the lookbehind
  // would be tried first at every position of the text.
  anchoredRule('url-credentials', '://', /(?<=(?<![\w+.-])[a-z][a-z0-9+.-]{1,30}):\/\/[^\s:@/]{0,256}:(?<secret>[^\s/]{1,256})@/i),
  anchoredRule(
    'authorization',
    'authorization',
    /(?<![\w-])authorization["']?[ \t]{0,5}[:=][ \t]{0,5}["']?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?(?<secret>[^\s"',;]+)/i,
  ),
  anchoredRule('bearer', 'bearer', /(?<![\w-])bearer[ \t]+(?<secret>[A-Za-z0-9._~+/-]{12,}=*)/i),
  anchoredRule('jwt', 'eyJ', /(?<![\w-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/, { label: '[REDACTED JWT]' }),
  regexRule('aws-access-key-id', /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Z0-9])/g, {
    label: '[REDACTED AWS KEY ID]',
  }),
  // Tokens that carry their own prefix, found without a key: those secretlint's preset does not know
  // (GitHub and Slack bot tokens predate it here; Google API keys; SendGrid keys with several dashes;
  // OpenAI project keys without the T3BlbkFJ marker; Vault tokens shorter than its 90 characters; Stripe and
  // GitLab tokens, which the preset gained only in versions that need Node 22).
  regexRule(
    'token-formats',
    /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255}|xox[abposr]-[A-Za-z0-9-]{10,250}|AIza[0-9A-Za-z_-]{35}|SG\.[\w-]{16,32}\.[\w-]{16,64}|sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,400}|hv[sbr]\.[A-Za-z0-9_-]{20,400}|[rs]k_(?:live|test)_[0-9A-Za-z]{10,247}|glpat-[A-Za-z0-9_-]{20,80})/g,
  ),
  keyedRule(
    'secret-pair',
    SECRET_KEYS,
    `["']?[ \\t]{0,10}[:=][ \\t]{0,10}(?:"(?<secret>(?:[^"\\\\\\r\\n]|\\\\.){1,4096})"|'(?<secret2>[^'\\r\\n]{1,4096})'|(?<secret3>[^\\s"',;&}]{1,4096}))`,
    false,
  ),
  // An unquoted value after `key: ` or `key = ` (YAML, prose, ini) runs to the end of the line, so a
  // passphrase of several words is hidden whole. Only for unquoted keys: `"token": 123, ...` is JSON.
  keyedRule('secret-phrase', SECRET_KEYS, `[ \\t]{0,10}[:=][ \\t]{1,10}(?<secret>[^\\s"'][^\\r\\n]{0,4095})`, true),
  regexRule(
    'secret-flag',
    /(?<![\w-])--?(?:[a-z0-9]{1,30}-)?(?:password|passwd|pass|token|secret|api-key|access-key|secret-key|client-secret)[ \t]+(?!-)(?<secret>[^\s"']{1,4096})/gi,
    // A subset of SECRET_KEY_WORDS is in every match: sharing that set shares one scan with the rules above.
    { keywords: SECRET_KEY_WORDS },
  ),
  mysqlPasswordFlag,
  // curl -u user:password, --user, --proxy-user.
  regexRule('user-password-flag', /(?<![\w-])(?:-u|--user|--proxy-user|-U)[ \t]{0,5}["']?[^\s:"']{1,256}:(?<secret>[^\s"']{1,4096})/g),
  regexRule('sshpass', /(?<![\w-])sshpass[ \t]{1,10}-p[ \t]{0,10}(?:'(?<secret>[^'\r\n]{1,4096})'|"(?<secret2>[^"\r\n]{1,4096})"|(?<secret3>[^\s'"]{1,4096}))/g),
  // aws configure set <key> <value>: every value (a region hidden by mistake costs nothing).
  regexRule('aws-configure-set', /(?<![\w-])aws[ \t]{1,10}configure[ \t]{1,10}set[ \t]{1,10}[\w.-]{1,100}[ \t]{1,10}(?<secret>[^\s]{1,4096})/g),
  // jdbc:oracle:thin:user/password@host, and sqlplus user/password@db.
  regexRule(
    'oracle-credentials',
    /(?<![\w-])(?:thin:|(?:sqlplus|sqlldr|expdp|impdp|rman)[ \t]{1,10}(?:-[sSlL][ \t]{1,10})?)["']?[^\s/@"']{1,128}\/(?<secret>[^\s@"']{1,256})["']?@/g,
  ),
  regexRule('pgpass-line', PGPASS),
];

export type { Redaction };
