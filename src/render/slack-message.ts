import type { Block, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/web-api';
import type { Alert } from '../model/alert.js';
import { argocdAppUrl } from './argocd-link.js';
import { KIND_EMOJI, subjectLine } from './headline.js';
import {
  attemptText,
  destinationText,
  formatDuration,
  hookFacts,
  initiatedByText,
  logLabel,
  omittedHooksText,
  seenByText,
  type HookFacts,
} from './hook-facts.js';
import { revisionViews } from './revision-link.js';
import { withVisibleText } from './visible-text.js';
import { SLACK_LIMITS, clip, codeBlockTail, escapeClip, escapeSlack, isSafeUrl, slackLink } from './slack-text.js';

/** `metadata.event_type` of every message this service posts; the crash-window lookup searches for it. */
export const SLACK_EVENT_TYPE = 'argocd_hook_alert';

/** Slack message metadata: which incident and delivery kind a message is (docs/design.md, "Crash windows"). */
export interface SlackAlertMetadata {
  event_type: typeof SLACK_EVENT_TYPE;
  event_payload: { incident: string; kind: string };
}

/** A log that did not fit in the message: uploaded whole (as scrubbed by enrichment) into the thread. */
export interface SlackLogFile {
  filename: string;
  title: string;
  content: string;
}

/** A rendered Slack message: chat.postMessage arguments minus the channel, plus the files to upload. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
  metadata: SlackAlertMetadata;
  files: SlackLogFile[];
}

/** How one target wants its messages (from the routes, see src/route/route-alert.ts). */
export interface SlackRenderOptions {
  /** Trusted control sequences from the config, e.g. `<!subteam^S0123ABCD>`; put before the text. */
  mentions?: readonly string[];
  /** false: no log body (summary and link only). Default true. */
  logs?: boolean;
}

// One block stays free for the resolve update (markSlackRootResolved inserts a line under the header)
// and one for the "more hooks not shown" line.
const RESERVED_BLOCKS = 2;
const MAX_LOGS_IN_MESSAGE_PER_HOOK = 2;
const MAX_FILES = 10;

/** The metadata every post carries. */
function slackMetadata(alert: Alert): SlackAlertMetadata {
  return { event_type: SLACK_EVENT_TYPE, event_payload: { incident: alert.incidentId, kind: alert.deliveryKind } };
}

function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: clip(text, SLACK_LIMITS.headerText), emoji: true } };
}

function section(mrkdwn: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, SLACK_LIMITS.sectionText) } };
}

function context(mrkdwnParts: readonly string[]): ContextBlock {
  return {
    type: 'context',
    elements: mrkdwnParts
      .slice(0, SLACK_LIMITS.contextElements)
      .map((text) => ({ type: 'mrkdwn' as const, text: clip(text, SLACK_LIMITS.contextElementText) })),
  };
}

function field(label: string, valueMrkdwn: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: clip(`*${label}*\n${valueMrkdwn}`, SLACK_LIMITS.sectionField) };
}

function fieldsBlock(alert: Alert): SectionBlock {
  const { event } = alert;
  const revisions = revisionViews(event)
    .map((r) => (r.url === null ? `\`${escapeClip(r.short, 80)}\`` : slackLink(r.url, r.short)))
    .join(', ');
  const fields = [
    field('App', escapeSlack(`${event.app.namespace}/${event.app.name}`)),
    field('Project', escapeSlack(event.app.project ?? 'unknown')),
    field('Destination', escapeSlack(destinationText(alert))),
    field('Revision', revisions === '' ? 'unknown' : revisions),
    field('Initiated by', escapeSlack(initiatedByText(alert))),
  ];
  const attempt = attemptText(alert);
  if (attempt !== null) {
    fields.push(field('Attempt', escapeSlack(`${attempt}${event.kind === 'hook-retrying' ? ' (Argo CD retries)' : ''}`)));
  }
  return { type: 'section', fields: fields.slice(0, SLACK_LIMITS.sectionFields) };
}

function diagnosisBlocks(alert: Alert): KnownBlock[] {
  const [top, ...others] = alert.findings;
  if (top === undefined) return [];
  const lines = [`:mag: *Diagnosis: ${escapeClip(top.title, 300)}*`];
  if (top.evidence !== null && top.evidence !== '') lines.push(`>${escapeClip(top.evidence.replace(/\s*\n\s*/g, ' '), 1000)}`);
  lines.push(`*Next step:* ${escapeClip(top.hint, 1200)}`);
  if (top.docs !== null && isSafeUrl(top.docs)) lines.push(slackLink(top.docs, 'Docs'));
  const blocks: KnownBlock[] = [section(lines.join('\n'))];
  if (others.length > 0) blocks.push(context([`Also: ${others.map((f) => escapeClip(f.title, 300)).join('; ')}`]));
  return blocks;
}

function hookSummary(facts: HookFacts): string {
  const h = facts.hook;
  const lines = [`*${escapeSlack(`${h.hookType} ${h.kind} ${h.namespace === null ? '' : `${h.namespace}/`}${h.name}`)}* · phase ${escapeSlack(h.hookPhase ?? 'unknown')}`];
  const details: string[] = [];
  if (facts.reason !== null) details.push(`reason ${escapeSlack(facts.reason)}`);
  if (facts.containerReason !== null && facts.containerReason !== 'Error' && facts.containerReason !== facts.reason) details.push(escapeSlack(facts.containerReason));
  if (facts.exitCode !== null) details.push(`exit code ${facts.exitCode}`);
  if (facts.durationSeconds !== null) details.push(`ran ${formatDuration(facts.durationSeconds)}`);
  if (details.length > 0) lines.push(details.join(' · '));
  if (facts.pod !== null) lines.push(`pod ${escapeSlack(facts.pod)}${facts.container === null ? '' : `, container ${escapeSlack(facts.container)}`}`);
  if (h.message !== null && h.message !== '') lines.push(`Argo CD: ${escapeClip(h.message, 1000)}`);
  if (facts.images.length > 0) lines.push(`image ${escapeClip(facts.images.join(', '), 1000)} (recorded by Argo CD; the Job is gone)`);
  return lines.join('\n');
}


function kubectlLogs(facts: HookFacts, log: { pod: string; container: string } | null): string {
  const ns = facts.hook.namespace ?? 'NAMESPACE';
  if (log !== null) return `kubectl logs -n ${ns} ${log.pod} -c ${log.container}`;
  return `kubectl logs -n ${ns} job/${facts.hook.name}`;
}

/** Blocks for one hook, and the logs that must go as files because the message shows only their end. */
function hookBlocks(facts: HookFacts, logs: boolean): { blocks: KnownBlock[]; files: SlackLogFile[] } {
  const blocks: KnownBlock[] = [section(hookSummary(facts))];
  const files: SlackLogFile[] = [];
  if (!logs) {
    const first = facts.logs[0] ?? null;
    blocks.push(
      context([
        `Log body left out by this route (\`logs: false\`); read it with \`${escapeSlack(kubectlLogs(facts, first))}\``,
      ]),
    );
  } else {
    facts.logs.forEach((log, i) => {
      if (i >= MAX_LOGS_IN_MESSAGE_PER_HOOK) {
        files.push({ filename: log.fileName, title: `Log of ${logLabel(log)}`, content: log.text });
        return;
      }
      const code = codeBlockTail(log.text, SLACK_LIMITS.sectionText);
      const note = code.cut
        ? `last ${code.shownLines} of ${code.totalLines} lines; the whole log is attached in the thread`
        : log.truncated
          ? `last ${code.totalLines} lines (earlier output was not read)`
          : `${code.totalLines} lines`;
      blocks.push(context([`Log of ${escapeSlack(logLabel(log))}: ${note}`]));
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: code.text } });
      if (code.cut) files.push({ filename: log.fileName, title: `Log of ${logLabel(log)}`, content: log.text });
    });
  }
  if (facts.missing.length > 0) {
    blocks.push(section(facts.missing.map((m) => `:warning: ${escapeClip(m, 500)}`).join('\n')));
  } else if (facts.logs.length === 0 && facts.report === null) {
    blocks.push(context(['No cluster details for this hook (enrichment off or not reachable).']));
  }
  return { blocks, files };
}

function tailBlocks(alert: Alert): KnownBlock[] {
  const { event } = alert;
  const blocks: KnownBlock[] = [];
  const notes = alert.report?.notes ?? [];
  if (notes.length > 0) blocks.push(context(notes.slice(0, SLACK_LIMITS.contextElements).map((n) => `:information_source: ${escapeSlack(n)}`)));
  const buttons: Button[] = [];
  if (alert.incidentUrl !== undefined && isSafeUrl(alert.incidentUrl)) {
    buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Full logs and timeline' }, url: alert.incidentUrl, action_id: 'open_incident_page' });
  }
  if (event.argocdUrl !== null) {
    const url = argocdAppUrl(event.argocdUrl, event.app.namespace, event.app.name);
    if (isSafeUrl(url)) buttons.push({ type: 'button', text: { type: 'plain_text', text: 'Open in Argo CD' }, url, action_id: 'open_argocd' });
  }
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  const received = event.receivedAt;
  const seenBy = seenByText(alert);
  blocks.push(context([`incident \`${escapeSlack(alert.incidentId)}\` · received ${escapeSlack(received)}${seenBy === null ? '' : ` · ${seenBy}`}`]));
  return blocks;
}

function mentionPrefix(opts: SlackRenderOptions): string {
  const mentions = opts.mentions ?? [];
  return mentions.length === 0 ? '' : `${mentions.join(' ')} `;
}

function renderResolved(alert: Alert): SlackMessage {
  const { event } = alert;
  const title = `${KIND_EMOJI['sync-succeeded']} ${subjectLine(alert, [])}`;
  const blocks: KnownBlock[] = [header(title)];
  const op = event.operation;
  const lines = [`Argo CD synced *${escapeSlack(event.app.name)}* successfully${op?.finishedAt == null ? '' : ` at ${escapeSlack(op.finishedAt)}`}; this incident is resolved.`];
  if (op?.message != null && op.message !== '') lines.push(`Argo CD: ${escapeClip(op.message, 1000)}`);
  blocks.push(section(lines.join('\n')));
  blocks.push(fieldsBlock(alert));
  blocks.push(...tailBlocks(alert));
  return { text: escapeClip(title, 3000), blocks, metadata: slackMetadata(alert), files: [] };
}

/**
 * Render an alert as a Slack message, a pure function: header with app and event kind, the top
 * diagnosis first, the operation's fields, each failed hook with its log tail, an "Open in Argo CD"
 * button. Every string from the cluster or Argo CD is escaped; every Slack limit is respected; logs cut
 * here are returned in `files` for upload into the thread.
 */
export function renderSlackMessage(given: Alert, opts: SlackRenderOptions = {}): SlackMessage {
  const alert = withVisibleText(given);
  if (alert.event.kind === 'sync-succeeded') return renderResolved(alert);
  const { event } = alert;
  const facts = hookFacts(alert);
  const title = `${KIND_EMOJI[event.kind]} ${subjectLine(alert, facts)}`;
  const mentions = mentionPrefix(opts);
  const blocks: KnownBlock[] = [header(title)];
  const op = event.operation;
  const intro = op?.message != null && op.message !== '' ? `*Argo CD:* ${escapeClip(op.message, 2000)}` : `*Operation:* ${escapeSlack(op?.phase ?? 'unknown')}`;
  blocks.push(section(`${mentions}${intro}`));
  blocks.push(...diagnosisBlocks(alert));
  blocks.push(fieldsBlock(alert));

  const tail = tailBlocks(alert);
  const budget = SLACK_LIMITS.blocks - RESERVED_BLOCKS - tail.length;
  const files: SlackLogFile[] = [];
  let hidden = 0;
  for (const f of facts) {
    const rendered = hookBlocks(f, opts.logs ?? true);
    if (blocks.length + 1 + rendered.blocks.length > budget) {
      hidden++;
      if (opts.logs ?? true) files.push(...f.logs.map((log) => ({ filename: log.fileName, title: `Log of ${logLabel(log)}`, content: log.text })));
      continue;
    }
    blocks.push({ type: 'divider' }, ...rendered.blocks);
    files.push(...rendered.files);
  }
  const notShown: string[] = [];
  if (hidden > 0) {
    notShown.push(`${hidden} more failed hook${hidden === 1 ? '' : 's'} not shown here (Slack allows ${SLACK_LIMITS.blocks} blocks); their logs are attached in the thread and all hooks are in Argo CD.`);
  }
  const omitted = omittedHooksText(alert);
  if (omitted !== null) notShown.push(escapeSlack(omitted));
  // One block for both: RESERVED_BLOCKS keeps room for exactly one.
  if (notShown.length > 0) blocks.push(context(notShown));
  blocks.push(...tail);
  return {
    text: clip(`${mentions}${escapeSlack(title)}`, SLACK_LIMITS.sectionText),
    blocks,
    metadata: slackMetadata(alert),
    files: files.slice(0, MAX_FILES),
  };
}

/** A message as read back from Slack (conversations.history), to be updated. */
export interface SlackPostedMessage {
  text: string;
  blocks: Block[];
}

const RESOLVED_PREFIX = `${KIND_EMOJI['sync-succeeded']} RESOLVED · `;
const RESOLVED_BLOCK_ID = 'hook_alerts_resolved';
// Escaped cluster text never holds a raw `<`, so every control sequence in a root's text is a mention.
const MENTIONS = /<(?:!subteam\^[^>]*|@[UW][A-Z0-9]+|!here|!channel)>\s*/g;

function isHeaderWithText(block: Block): block is Block & { text: { type: 'plain_text'; text: string; emoji?: boolean } } {
  if (block.type !== 'header' || !('text' in block)) return false;
  const text: unknown = block.text;
  return typeof text === 'object' && text !== null && 'text' in text && typeof text.text === 'string';
}

/**
 * The incident's first message, updated to show it is resolved: its header says RESOLVED, a context
 * line under it says when and by which sync. Idempotent, so a retried update changes nothing more.
 */
export function markSlackRootResolved(root: SlackPostedMessage, given: Alert): SlackPostedMessage {
  const alert = withVisibleText(given);
  const { event } = alert;
  const revision = revisionViews(event)[0]?.short;
  const when = event.operation?.finishedAt ?? event.receivedAt;
  const line = `${KIND_EMOJI['sync-succeeded']} Resolved: Argo CD synced${revision === undefined ? '' : ` revision \`${escapeSlack(revision)}\``} successfully at ${escapeSlack(when)} (initiated by ${escapeSlack(initiatedByText(alert))}).`;
  const note: ContextBlock = { ...context([line]), block_id: RESOLVED_BLOCK_ID };
  const blocks: Block[] = root.blocks.filter((b) => b.block_id !== RESOLVED_BLOCK_ID);
  const headerIndex = blocks.findIndex(isHeaderWithText);
  const headerBlock = blocks[headerIndex];
  if (headerBlock !== undefined && isHeaderWithText(headerBlock)) {
    const old = headerBlock.text.text;
    const text = old.startsWith(RESOLVED_PREFIX) ? old : `${RESOLVED_PREFIX}${old.replace(/^:[a-z_]+: /, '')}`;
    const updated: KnownBlock = { ...header(text), ...(headerBlock.block_id === undefined ? {} : { block_id: headerBlock.block_id }) };
    blocks[headerIndex] = updated;
  }
  blocks.splice(headerIndex + 1, 0, note);
  // A root rendered at the block limit by another version: drop the last block rather than be rejected.
  while (blocks.length > SLACK_LIMITS.blocks) blocks.splice(blocks.length - 2, 1);
  // The update must not notify the mentioned group a second time.
  const plain = root.text.replace(MENTIONS, '').trimStart();
  const text = plain.startsWith('RESOLVED · ') ? plain : `RESOLVED · ${plain}`;
  return { text: clip(text, SLACK_LIMITS.sectionText), blocks };
}
