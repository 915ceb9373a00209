/**
 * Slack's documented limits (docs.slack.dev/reference/block-kit/blocks, chat.postMessage): a message
 * over them is rejected with `invalid_blocks` or `msg_too_long`, i.e. the alert is lost.
 */
export const SLACK_LIMITS = {
  messageText: 40_000,
  blocks: 50,
  sectionText: 3_000,
  sectionField: 2_000,
  sectionFields: 10,
  headerText: 150,
  buttonText: 75,
  buttonUrl: 3_000,
  contextElementText: 2_000,
  contextElements: 10,
} as const;

const ELLIPSIS = '…';
const ZWSP = '\u200b';

function escapeChar(ch: string): string {
  if (ch === '&') return '&amp;';
  if (ch === '<') return '&lt;';
  if (ch === '>') return '&gt;';
  return ch;
}

/**
 * Escape `&`, `<` and `>` (Slack's formatting docs, "Escaping text"): text from the cluster or Argo CD can
 * then never become a mention (`<!channel>`), a link (`<http://x|y>`) or a user reference.
 */
export function escapeSlack(text: string): string {
  return text.replace(/[&<>]/g, escapeChar);
}

/** Cut text to at most `max` UTF-16 units (Slack's counting), on a code point boundary, with an ellipsis. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const cp of text) {
    if (out.length + cp.length > max - ELLIPSIS.length) break;
    out += cp;
  }
  return out + ELLIPSIS;
}

/**
 * Escape and fit into `max` characters: the cut is made on the raw text so that no entity (`&amp;`) or
 * surrogate pair is ever split.
 */
export function escapeClip(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const cp of text) {
    const piece = escapeChar(cp);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** Escaped text that keeps a code block open: a run of backticks in a log can never form a closing fence. */
function codeSafe(line: string): string {
  return escapeSlack(line).replace(/`(?=`)/g, `\`${ZWSP}`);
}

/** A fenced code block holding the tail of a log, and whether lines had to be left out. */
export interface CodeBlock {
  text: string;
  cut: boolean;
  /** Lines of the input shown (the last ones). */
  shownLines: number;
  totalLines: number;
}

/**
 * The end of `log` as a Slack code block of at most `max` characters, fences included. Lines are taken
 * from the end (the error is at the end of a failed migration's log); a single line longer than the
 * budget keeps its end.
 */
export function codeBlockTail(log: string, max: number): CodeBlock {
  const lines = log.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const open = '```\n';
  const close = '\n```';
  const marker = `${ELLIPSIS} (earlier lines cut)\n`;
  const budget = max - open.length - close.length;
  const kept: string[] = [];
  let used = 0;
  let cut = false;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = codeSafe(lines[i] ?? '');
    const cost = line.length + (kept.length > 0 ? 1 : 0);
    const reserve = i > 0 ? marker.length : 0;
    if (used + cost + reserve <= budget) {
      kept.unshift(line);
      used += cost;
      continue;
    }
    cut = true;
    if (kept.length === 0) {
      // One enormous line: keep its end, cut on a code point boundary outside any entity.
      const room = budget - marker.length;
      const cps = Array.from(lines[i] ?? '');
      let tail = '';
      for (let j = cps.length - 1; j >= 0; j--) {
        const piece = codeSafe(cps[j] ?? '');
        if (tail.length + piece.length > room) break;
        tail = piece + tail;
      }
      // A backtick at the cut could meet the marker's text; the marker ends with a newline, so it cannot.
      kept.unshift(tail);
    }
    break;
  }
  const body = (cut ? marker : '') + kept.join('\n');
  return { text: `${open}${body === '' ? ' ' : body}${close}`, cut, shownLines: kept.length, totalLines: lines.length };
}

/** A Slack mrkdwn link `<url|label>` for a URL we built or validated; the label is escaped. */
export function slackLink(url: string, label: string): string {
  return `<${url}|${escapeSlack(label).replace(/\|/g, '¦')}>`;
}

/** Whether a URL is safe to put in a link or button: http(s), no characters that end a Slack link. */
export function isSafeUrl(url: string): boolean {
  if (!/^https?:\/\//i.test(url) || /[\s<>|"]/.test(url) || url.length > SLACK_LIMITS.buttonUrl) return false;
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}
