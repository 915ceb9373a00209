/**
 * A small scanner for Go text/template actions (`{{ ... }}`) inside a JSON body, enough to tell which
 * actions print a value, whether that value goes through a JSON encoder, and whether the action sits inside
 * a JSON string literal. It is not a Go template parser: actions are found by their delimiters, with Go
 * string and raw-string literals inside an action skipped so that `{{ "}}" }}` does not end early.
 */

/** Functions of sprig that print valid JSON for any value. */
const JSON_FUNCS = new Set(['toJson', 'toPrettyJson', 'toRawJson', 'mustToJson', 'mustToPrettyJson', 'mustToRawJson']);

const CONTROL_KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

/** One action of a template and what it does to the output. */
export interface TemplateAction {
  /** The action as written, delimiters included. */
  text: string;
  start: number;
  end: number;
  kind: 'comment' | 'control' | 'output';
  /** For output actions: the printed value goes through toJson (or a sibling). */
  jsonEncoded: boolean;
  /** The action starts inside a JSON string literal of the surrounding text. */
  insideString: boolean;
}

function skipGoString(text: string, i: number): number {
  const quote = text[i];
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (quote !== '`' && c === '\\') {
      j += 2;
      continue;
    }
    if (c === quote) return j + 1;
    j += 1;
  }
  return j;
}

function findActionEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === '`' || c === "'") {
      i = skipGoString(text, i);
      continue;
    }
    if (c === '}' && text[i + 1] === '}') return i + 2;
    i += 1;
  }
  return -1;
}

/** Split a pipeline on `|` outside strings and parentheses. */
function pipelineCommands(inner: string): string[] {
  const commands: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < inner.length) {
    const c = inner[i];
    if (c === '"' || c === '`' || c === "'") {
      i = skipGoString(inner, i);
      continue;
    }
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === '|' && depth === 0) {
      commands.push(inner.slice(start, i).trim());
      start = i + 1;
    }
    i += 1;
  }
  commands.push(inner.slice(start).trim());
  return commands;
}

function classify(inner: string): { kind: TemplateAction['kind']; jsonEncoded: boolean } {
  if (inner.startsWith('/*')) return { kind: 'comment', jsonEncoded: false };
  const firstWord = /^[A-Za-z_]\w*/.exec(inner)?.[0];
  if (firstWord !== undefined && CONTROL_KEYWORDS.has(firstWord)) return { kind: 'control', jsonEncoded: false };
  // `{{ $x := ... }}` and `{{ $x = ... }}` assign and print nothing.
  if (/^\$\w*\s*:?=[^=]/.test(inner)) return { kind: 'control', jsonEncoded: false };
  const commands = pipelineCommands(inner);
  const last = commands[commands.length - 1] ?? '';
  const lastFunc = /^[A-Za-z_]\w*/.exec(last)?.[0];
  return { kind: 'output', jsonEncoded: lastFunc !== undefined && JSON_FUNCS.has(lastFunc) };
}

/** Every action of a Go template, in order, with whether it sits inside a JSON string of the body. */
export function scanTemplateActions(body: string): TemplateAction[] {
  const actions: TemplateAction[] = [];
  let inString = false;
  let i = 0;
  while (i < body.length) {
    if (body[i] === '{' && body[i + 1] === '{') {
      const end = findActionEnd(body, i + 2);
      const stop = end === -1 ? body.length : end;
      const text = body.slice(i, stop);
      const inner = text
        .slice(2, end === -1 ? undefined : -2)
        .replace(/^-\s/, '')
        .replace(/\s-$/, '')
        .trim();
      actions.push({ text, start: i, end: stop, ...classify(inner), insideString: inString });
      i = stop;
      continue;
    }
    const c = body[i];
    if (inString && c === '\\') {
      i += 2;
      continue;
    }
    if (c === '"') inString = !inString;
    i += 1;
  }
  return actions;
}

/** The keyword a control action starts with (`if`, `else`, `end`, `range`, ...), or null for an assignment. */
function controlKeyword(action: TemplateAction): string | null {
  const inner = action.text.replace(/^\{\{-?\s*/, '');
  return /^[A-Za-z_]\w*/.exec(inner)?.[0] ?? null;
}

/**
 * The body with every printing action replaced by `null` and every comment and assignment removed, for a
 * structural JSON check. Of each `if`/`with` the first branch is kept and of each `range` the empty case
 * (its `else`, or nothing): one output the template can produce, enough to see its shape. Undefined when
 * the body defines or calls templates, or its blocks do not nest, whose output cannot be followed.
 */
export function bodyWithPlaceholders(body: string, actions: readonly TemplateAction[]): string | undefined {
  // One frame per open block: whether its current branch is the one kept.
  const frames: { keyword: string; kept: boolean }[] = [];
  const emitting = (): boolean => frames.every((f) => f.kept);
  let out = '';
  let last = 0;
  for (const a of actions) {
    if (emitting()) out += body.slice(last, a.start);
    last = a.end;
    if (a.kind === 'output') {
      if (emitting()) out += 'null';
      continue;
    }
    if (a.kind !== 'control') continue;
    const keyword = controlKeyword(a);
    if (keyword === null) continue;
    if (keyword === 'if' || keyword === 'with') frames.push({ keyword, kept: true });
    else if (keyword === 'range') frames.push({ keyword, kept: false });
    else if (keyword === 'else') {
      const frame = frames[frames.length - 1];
      if (frame === undefined) return undefined;
      frame.kept = frame.keyword === 'range';
    } else if (keyword === 'end') {
      if (frames.pop() === undefined) return undefined;
    } else if (keyword !== 'break' && keyword !== 'continue') return undefined;
  }
  if (frames.length > 0) return undefined;
  return out + body.slice(last);
}
