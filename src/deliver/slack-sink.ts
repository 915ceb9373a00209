import {
  LogLevel,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
  SlackError,
  type Block,
  type Logger as SlackLogger,
} from '@slack/web-api';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { DeliveryContext, Sink, SinkOutcome } from '../model/sink.js';
import type { Alert } from '../model/alert.js';
import { markSlackRootResolved, renderSlackMessage, SLACK_EVENT_TYPE, type SlackMessage } from '../render/slack-message.js';
import { encodingFailure } from './encoding-failure.js';
import { describeError } from '../errors.js';
import type { SlackConfig } from './sink-config.js';
import type { FetchFunction } from './proxy-fetch.js';
import { builtFromSecret, loggedSecretFile } from '../secret-file.js';

/** Where a Slack message is: the ref stored for a delivery is `<channel id>:<ts>`. */
export interface SlackRef {
  channel: string;
  ts: string;
}

/** Format a delivery ref. */
function formatSlackRef(ref: SlackRef): string {
  return `${ref.channel}:${ref.ts}`;
}

/** Parse a delivery ref; null for refs of another shape (none is expected). */
export function parseSlackRef(ref: string | null): SlackRef | null {
  if (ref === null) return null;
  const i = ref.indexOf(':');
  if (i <= 0 || i === ref.length - 1) return null;
  return { channel: ref.slice(0, i), ts: ref.slice(i + 1) };
}

// What to tell the operator for each permanent Slack error (docs.slack.dev/reference/methods/chat.postMessage#errors).
const PERMANENT_ERRORS: Record<string, string> = {
  channel_not_found: 'the channel does not exist or the bot cannot see it: check the channel in the routing config (a private channel needs the bot invited)',
  not_in_channel: 'the bot is not a member of the channel: invite it with /invite @<your app> in that channel',
  is_archived: 'the channel is archived: unarchive it or route to another channel',
  invalid_auth: 'the bot token is invalid: check SLACK_BOT_TOKEN (an xoxb- token of the installed app)',
  not_authed: 'no bot token was sent: set SLACK_BOT_TOKEN',
  account_inactive: 'the bot token belongs to a deactivated user or uninstalled app: reinstall the app and update SLACK_BOT_TOKEN',
  token_revoked: 'the bot token was revoked: reinstall the app and update SLACK_BOT_TOKEN',
  token_expired: 'the bot token expired: rotate it and update SLACK_BOT_TOKEN',
  missing_scope: 'the token lacks a scope: add it to the Slack app (chat:write, files:write, channels:history, groups:history, channels:read, groups:read) and reinstall',
  no_permission: 'the token may not post here: check the app’s permissions for this channel',
  restricted_action: 'a workspace setting forbids this post: ask a Slack admin who may post in this channel',
  msg_too_long: 'Slack says the message is too long: this is a bug in argocd-hook-alerts, please report it with the alert',
  invalid_blocks: 'Slack rejected the blocks: this is a bug in argocd-hook-alerts, please report it with the alert',
  invalid_blocks_format: 'Slack rejected the blocks: this is a bug in argocd-hook-alerts, please report it with the alert',
  invalid_metadata_format: 'Slack rejected the message metadata: this is a bug in argocd-hook-alerts, please report it',
  invalid_arguments: 'Slack rejected the call’s arguments: check the channel value in the routing config',
  ekm_access_denied: 'the workspace’s Enterprise Key Management denied access: ask a Slack admin',
  team_access_not_granted: 'the token has no access to this workspace: install the app there',
};

// Slack documents these as transient server-side conditions: retried by the worker.
const TRANSIENT_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'timeout']);

/**
 * The one place where Slack's answers become outcomes (OTel `http-transport-utils` style): 429 with
 * Retry-After and transient codes are retryable, as are 5xx and network errors; an `ok:false` code
 * that retrying cannot fix is permanent, with what to fix.
 */
export function slackOutcome(err: unknown, channel: string): SinkOutcome {
  const where = `Slack channel ${channel}`;
  if (err instanceof WebAPIRateLimitedError) {
    return { status: 'retryable', retryInMs: Math.max(1, err.retryAfter) * 1000, error: `${where}: rate limited (HTTP 429), Slack asks to wait ${err.retryAfter} s` };
  }
  if (err instanceof WebAPIPlatformError) {
    const code = err.data.error;
    if (TRANSIENT_ERRORS.has(code)) {
      const retryAfter = err.data.response_metadata?.retryAfter;
      return {
        status: 'retryable',
        ...(retryAfter === undefined ? {} : { retryInMs: retryAfter * 1000 }),
        error: `${where}: Slack answered ${code}, will retry`,
      };
    }
    const fix = PERMANENT_ERRORS[code] ?? 'Slack refused the call; see docs.slack.dev for this error code';
    const needed = code === 'missing_scope' && 'needed' in err.data && typeof err.data.needed === 'string' ? ` (needed: ${err.data.needed})` : '';
    return { status: 'failed', error: `${where}: ${code}${needed}: ${fix}` };
  }
  if (err instanceof WebAPIHTTPError) {
    if (err.statusCode >= 500 || err.statusCode === 429 || err.statusCode === 408) {
      return { status: 'retryable', error: `${where}: Slack answered HTTP ${err.statusCode} ${err.statusMessage}, will retry` };
    }
    return { status: 'failed', error: `${where}: Slack answered HTTP ${err.statusCode} ${err.statusMessage}: check SLACK_API_URL (slack.apiUrl)` };
  }
  if (err instanceof WebAPIRequestError) {
    return { status: 'retryable', error: `${where}: cannot reach the Slack API (${err.original.message}), will retry` };
  }
  if (err instanceof SlackError) return { status: 'failed', error: `${where}: ${err.message}` };
  const encoding = encodingFailure(err, where);
  if (encoding !== null) return encoding;
  // Anything else (a 429 without Retry-After, an upload URL answering non-200) is taken as transient.
  return { status: 'retryable', error: `${where}: ${describeError(err)}, will retry` };
}

function isPlatformError(err: unknown, codes: readonly string[]): boolean {
  return err instanceof WebAPIPlatformError && codes.includes(err.data.error);
}

/**
 * The Slack SDK's logger, forwarded to pino (the SDK logs to the console by default). Its debug lines are
 * dropped, whatever the level: they hold whole request and response bodies (the alert, its logs), and
 * log bodies never go to the service's own logs.
 */
function slackLogger(logger: Logger): SlackLogger {
  let level = LogLevel.WARN;
  return {
    debug: () => undefined,
    info: (...msg: unknown[]) => logger.debug({ slack: msg.map(String).join(' ') }, 'slack sdk'),
    warn: (...msg: unknown[]) => logger.warn({ slack: msg.map(String).join(' ') }, 'slack sdk'),
    error: (...msg: unknown[]) => logger.error({ slack: msg.map(String).join(' ') }, 'slack sdk'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

const postedMessageSchema = z.looseObject({
  ts: z.string(),
  text: z.string().optional(),
  blocks: z.array(z.looseObject({ type: z.string(), block_id: z.string().optional() })).optional(),
  metadata: z
    .looseObject({
      event_type: z.string().optional(),
      event_payload: z.looseObject({ incident: z.unknown(), kind: z.unknown() }).optional(),
    })
    .optional(),
});
type PostedMessage = z.infer<typeof postedMessageSchema>;

function parseMessages(messages: readonly unknown[] | undefined): PostedMessage[] {
  return (messages ?? []).flatMap((m) => {
    const parsed = postedMessageSchema.safeParse(m);
    return parsed.success ? [parsed.data] : [];
  });
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{6,}$/;
// The crash-window lookup starts this much before the first attempt: Slack's clock and ours differ.
const CLOCK_SKEW_SECONDS = 60;
const MAX_CHANNEL_PAGES = 20;

export interface SlackSinkDeps {
  /** A configured client; default: one built from the config with retries left to the worker. */
  client?: WebClient;
  logger: Logger;
  metrics?: Metrics;
  /** The client's fetch, e.g. through an HTTPS proxy; default: the global fetch. */
  fetch?: FetchFunction;
  /** The clock of the token file's re-reads; default Date.now. */
  clock?: () => number;
}

/**
 * Slack delivery through `@slack/web-api`: the first alert of an incident is posted, later ones go into
 * its thread, a resolution replies there and updates the first message; cut logs are uploaded into the
 * thread. Idempotent across retries and restarts: a resumed or repeated delivery first looks for its own
 * message (by metadata) before posting.
 */
export class SlackSink implements Sink {
  readonly name = 'slack' as const;
  readonly #clientOf: () => WebClient;
  #logger: Logger;
  #uploadLogs: boolean;
  #lookback: number;
  #channelIds = new Map<string, string>();

  /** `client`: the client, or what answers the current one (a new one after the token file changed). */
  constructor(
    client: WebClient | (() => WebClient),
    opts: { logger: Logger; uploadLogs: boolean; lookbackMessages: number },
  ) {
    this.#clientOf = typeof client === 'function' ? client : () => client;
    this.#logger = opts.logger;
    this.#uploadLogs = opts.uploadLogs;
    this.#lookback = opts.lookbackMessages;
  }

  /** The client for this call: the current token's. */
  get #client(): WebClient {
    return this.#clientOf();
  }

  /** Build the sink from its config section; `token` must be set. */
  static fromConfig(slack: SlackConfig, deps: SlackSinkDeps): SlackSink {
    const logger = deps.logger.child({ sink: 'slack' });
    const build = (token: string | undefined): WebClient =>
      new WebClient(token, {
        slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/`,
        // The worker persists retries with backoff and a maximum age; the SDK's own retries (10 over
        // 30 minutes by default) would hold a delivery hostage and fight that schedule.
        retryConfig: { retries: 0 },
        // A 429 comes back at once with its Retry-After, which the worker then honours.
        rejectRateLimitedCalls: true,
        timeout: slack.requestTimeoutMs,
        logger: slackLogger(logger),
        logLevel: LogLevel.WARN,
        ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
      });
    const { token, tokenFile } = slack;
    let client: WebClient | (() => WebClient);
    if (deps.client !== undefined) client = deps.client;
    else if (token === undefined || tokenFile === undefined) client = build(token);
    else {
      const current = loggedSecretFile(tokenFile, token, {
        now: deps.clock ?? Date.now,
        logger,
        what: { secret: 'Slack bot token', variable: 'SLACK_BOT_TOKEN_FILE', changed: 'the next Slack call uses the new one' },
        fields: { tokenFile },
      });
      // A client holds no connection of its own to close: the one it replaces is just dropped.
      client = builtFromSecret(current, build, () => undefined);
    }
    return new SlackSink(client, {
      logger,
      uploadLogs: slack.uploadLogs,
      lookbackMessages: slack.lookbackMessages,
    });
  }

  async send(ctx: DeliveryContext): Promise<SinkOutcome> {
    const { alert } = ctx;
    const log = this.#logger.child({ delivery: ctx.deliveryId, incident: alert.incidentId, kind: alert.deliveryKind, channel: ctx.address });
    const root = parseSlackRef(ctx.threadRootRef);
    try {
      if (alert.deliveryKind === 'resolved' && root !== null) await this.#markRootResolved(root, alert, log);
      const message = renderSlackMessage(alert, ctx.route);
      const posted = await this.#postOnce(ctx, message, root, log);
      if (this.#uploadLogs && message.files.length > 0) {
        const uploaded = await this.#uploadFiles(posted, root, message, ctx.address, log);
        if (uploaded !== null) return uploaded;
      }
      return { status: 'sent', ref: formatSlackRef(posted) };
    } catch (err) {
      return slackOutcome(err, ctx.address);
    }
  }

  /** Post the message unless an earlier attempt already did (found by its metadata). */
  async #postOnce(ctx: DeliveryContext, message: SlackMessage, root: SlackRef | null, log: Logger): Promise<SlackRef> {
    // A resumed delivery (crash after Slack accepted) or a retry (a timeout after Slack accepted) may have
    // posted already; docs/design.md "Crash windows".
    if (ctx.resumed || ctx.attempt > 1) {
      const earlier = await this.#findOwnPost(ctx, root, log);
      if (earlier !== null) {
        log.warn({ ts: earlier.ts, resumed: ctx.resumed, attempt: ctx.attempt }, 'found this delivery’s earlier Slack post; not posting again');
        return earlier;
      }
    }
    const thread = root === null ? {} : { thread_ts: root.ts, reply_broadcast: ctx.alert.deliveryKind === 'failed' };
    const res = await this.#client.chat.postMessage({
      channel: root?.channel ?? ctx.address,
      text: message.text,
      blocks: message.blocks,
      metadata: message.metadata,
      unfurl_links: false,
      unfurl_media: false,
      ...thread,
    });
    if (typeof res.channel !== 'string' || typeof res.ts !== 'string') {
      throw new Error('chat.postMessage answered ok without channel and ts');
    }
    return { channel: res.channel, ts: res.ts };
  }

  async #channelId(address: string): Promise<string> {
    if (CHANNEL_ID.test(address)) return address;
    const name = address.replace(/^#/, '');
    const cached = this.#channelIds.get(name);
    if (cached !== undefined) return cached;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_CHANNEL_PAGES; page++) {
      const res = await this.#client.conversations.list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const c of res.channels ?? []) {
        if (typeof c.name === 'string' && typeof c.id === 'string') this.#channelIds.set(c.name, c.id);
      }
      const found = this.#channelIds.get(name);
      if (found !== undefined) return found;
      cursor = res.response_metadata?.next_cursor;
      if (cursor === undefined || cursor === '') break;
    }
    throw new WebAPIPlatformError({ ok: false, error: 'channel_not_found' });
  }

  /** This delivery's own message in the channel (or in the thread), if an earlier attempt posted it. */
  async #findOwnPost(ctx: DeliveryContext, root: SlackRef | null, log: Logger): Promise<SlackRef | null> {
    const { incidentId, deliveryKind } = ctx.alert;
    const isOwn = (m: PostedMessage): boolean =>
      m.metadata?.event_type === SLACK_EVENT_TYPE &&
      m.metadata.event_payload?.incident === incidentId &&
      m.metadata.event_payload.kind === deliveryKind;
    try {
      const channel = root?.channel ?? (await this.#channelId(ctx.address));
      // No earlier send of this delivery can predate its first attempt: read the channel from there on
      // (minus clock skew), all of it up to the lookback cap, so a backlog of other posts cannot hide it.
      const oldest = String(Math.floor(ctx.firstAttemptAt / 1000) - CLOCK_SKEW_SECONDS);
      let cursor: string | undefined;
      let seen = 0;
      while (seen < this.#lookback) {
        const limit = Math.min(200, this.#lookback - seen);
        const page =
          root === null
            ? await this.#client.conversations.history({ channel, oldest, limit, include_all_metadata: true, ...(cursor === undefined ? {} : { cursor }) })
            : await this.#client.conversations.replies({ channel, ts: root.ts, limit, include_all_metadata: true, ...(cursor === undefined ? {} : { cursor }) });
        const messages = parseMessages(page.messages);
        const own = messages.find(isOwn);
        if (own !== undefined) return { channel, ts: own.ts };
        seen += messages.length;
        cursor = page.response_metadata?.next_cursor;
        if (cursor === undefined || cursor === '' || messages.length === 0) break;
      }
      return null;
    } catch (err) {
      // Without the history scopes the lookup is impossible; posting (maybe twice) beats losing the alert.
      if (isPlatformError(err, ['missing_scope', 'not_allowed_token_type'])) {
        log.warn({ err: describeError(err) }, 'cannot read the channel history to look for an earlier post: add channels:history and groups:history; posting again');
        return null;
      }
      throw err;
    }
  }

  async #markRootResolved(root: SlackRef, alert: Alert, log: Logger): Promise<void> {
    try {
      const res = await this.#client.conversations.history({ channel: root.channel, latest: root.ts, inclusive: true, limit: 1, include_all_metadata: true });
      const message = parseMessages(res.messages).find((m) => m.ts === root.ts);
      if (message === undefined) {
        log.warn({ ts: root.ts }, 'the incident’s first Slack message is gone; replying in its thread without updating it');
        return;
      }
      const blocks: Block[] = message.blocks ?? [];
      const updated = markSlackRootResolved({ text: message.text ?? '', blocks }, alert);
      await this.#client.chat.update({
        channel: root.channel,
        ts: root.ts,
        text: updated.text,
        // Blocks read back from Slack are Slack's own; they go back unchanged apart from our edit.
        blocks: updated.blocks,
      });
    } catch (err) {
      // The thread reply still tells the story when the root cannot be edited.
      if (isPlatformError(err, ['message_not_found', 'cant_update_message', 'edit_window_closed', 'missing_scope', 'thread_not_found'])) {
        log.warn({ err: describeError(err) }, 'cannot update the incident’s first Slack message to show it resolved; replying in its thread');
        return;
      }
      throw err;
    }
  }

  /**
   * Upload logs that the message shows only the end of, into the thread. A transient failure is
   * retried (the retry finds the post and uploads again); a permanent one is logged and the delivery
   * counts as sent, since the alert itself is in the channel.
   */
  async #uploadFiles(posted: SlackRef, root: SlackRef | null, message: SlackMessage, address: string, log: Logger): Promise<SinkOutcome | null> {
    try {
      await this.#client.filesUploadV2({
        channel_id: posted.channel,
        thread_ts: root?.ts ?? posted.ts,
        initial_comment: 'Whole logs (scrubbed) of the hooks above',
        file_uploads: message.files.map((f) => ({ content: f.content, filename: f.filename, title: f.title })),
      });
      return null;
    } catch (err) {
      const outcome = slackOutcome(err, address);
      if (outcome.status === 'retryable') return outcome;
      log.error({ error: outcome.status === 'failed' ? outcome.error : describeError(err) }, 'the alert is posted but its log files could not be uploaded');
      return null;
    }
  }

  async close(): Promise<void> {
    return Promise.resolve();
  }
}
