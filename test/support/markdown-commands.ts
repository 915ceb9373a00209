/** Where a shell command appears in the documentation. */
export interface DocCommand {
  /** Path of the Markdown file, relative to the repository. */
  file: string;
  /** 1-based line of the command's first line. */
  line: number;
  /** The command as a shell would run it (continuation lines kept). */
  text: string;
  /** One line, trailing comment removed: what the classification rules match. */
  plain: string;
  /** A fenced shell block, or an inline code span in the prose. */
  source: 'block' | 'inline';
}

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console']);

/** Programs whose name starts an inline code span that shows a command rather than a name or a value. */
export const INLINE_PROGRAMS = ['argocd-hook-alerts', 'npx', 'npm', 'node', 'kubectl', 'kustomize', 'helm', 'argocd', 'curl', 'docker', 'bash', 'sh', 'openssl', 'git', 'go'];

/**
 * Call `visit` with the index of each character outside quotes and backslash escapes, until it returns
 * true. (Enough for documentation: no here-documents, and no quotes nested in `$(...)` inside quotes.)
 */
function scanUnquoted(text: string, visit: (i: number) => boolean | void): void {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (visit(i) === true) return;
  }
}

/** Remove a trailing shell comment: a `#` that starts a word outside quotes. */
export function stripShellComment(text: string): string {
  let end = text.length;
  scanUnquoted(text, (i) => {
    if (text[i] !== '#' || (i > 0 && !/\s/.test(text[i - 1] ?? ''))) return false;
    end = i;
    return true;
  });
  return text.slice(0, end).trimEnd();
}

/** Split a command list on top-level `&&` (outside quotes and `$(...)`): each part is a command of its own. */
export function splitAndList(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let skip = -1;
  scanUnquoted(text, (i) => {
    const c = text[i];
    if (i === skip) return;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '&' && text[i + 1] === '&' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 2;
      skip = i + 1;
    }
  });
  parts.push(text.slice(start).trim());
  return parts.filter((p) => p !== '');
}

function command(file: string, line: number, text: string, source: DocCommand['source']): DocCommand[] {
  const oneLine = text.replace(/\\\n\s*/g, ' ');
  return splitAndList(stripShellComment(oneLine)).map((plain) => ({
    file,
    line,
    // A split list runs part by part; an unsplit command runs exactly as written.
    text: plain === stripShellComment(oneLine) ? text : plain,
    plain,
    source,
  }));
}

/** The commands of one fenced shell block: continuation lines joined, comment lines and `console` output skipped. */
function blockCommands(file: string, firstLine: number, lines: string[], console: boolean): DocCommand[] {
  const found: DocCommand[] = [];
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i] ?? '';
    const line = firstLine + i;
    if (console) {
      if (!text.startsWith('$ ')) continue;
      text = text.slice(2);
    }
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(text) && i + 1 < lines.length) {
      i++;
      text += `\n${lines[i] ?? ''}`;
    }
    found.push(...command(file, line, text, 'block'));
  }
  return found;
}

/** The inline code spans of some prose that start with a program's name, whitespace normalized, `\|` unescaped. */
function inlineCommands(file: string, prose: { line: number; text: string }[]): DocCommand[] {
  const found: DocCommand[] = [];
  // Paragraphs: code spans may wrap across lines, never across a blank line.
  const paragraphs: { line: number; text: string }[] = [];
  let current: { line: number; text: string } | null = null;
  for (const p of prose) {
    if (p.text.trim() === '') {
      current = null;
      continue;
    }
    if (current === null) {
      current = { line: p.line, text: p.text };
      paragraphs.push(current);
    } else {
      current.text += `\n${p.text}`;
    }
  }
  const programs = new RegExp(`^(${INLINE_PROGRAMS.map((p) => p.replace(/[-.]/g, '\\$&')).join('|')})(\\s|$)`);
  for (const para of paragraphs) {
    for (const m of para.text.matchAll(/(?<!`)`([^`]+)`(?!`)/g)) {
      const span = (m[1] ?? '').replace(/\s+/g, ' ').replace(/\\\|/g, '|').trim();
      if (!programs.test(span)) continue;
      const line = para.line + para.text.slice(0, m.index).split('\n').length - 1;
      found.push(...command(file, line, span, 'inline'));
    }
  }
  return found;
}

/**
 * Every shell command a Markdown document shows: each command of a fenced `sh`/`bash`/`shell`/`console`
 * block (indented fences in list items too), and each inline code span that starts with a program's
 * name (INLINE_PROGRAMS).
 */
export function extractCommands(file: string, markdown: string): DocCommand[] {
  const lines = markdown.split('\n');
  const found: DocCommand[] = [];
  const prose: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[i] ?? '');
    if (open === null) {
      prose.push({ line: i + 1, text: lines[i] ?? '' });
      continue;
    }
    const indent = open[1]?.length ?? 0;
    const fence = open[2] ?? '```';
    const language = (open[3] ?? '').toLowerCase();
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j] ?? '';
      if (l.trim().startsWith(fence) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
    }
    if (SHELL_LANGUAGES.has(language)) found.push(...blockCommands(file, i + 2, body, language === 'console'));
    prose.push({ line: i + 1, text: '' });
    i = j;
  }
  found.push(...inlineCommands(file, prose));
  return found;
}
