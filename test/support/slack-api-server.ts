import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestServer } from './test-server.js';

/**
 * A Slack Web API server for tests, spoken to by a real `@slack/web-api` WebClient (`slackApiUrl`). It
 * behaves like Slack where the service depends on it: bearer token check, channel existence and
 * membership, the documented Block Kit and message limits (answering HTTP 200 `{ok:false, error}` as
 * Slack does), message metadata, threads, chat.update, conversations.history/replies/list and the
 * three-step file upload; it answers 429 with Retry-After, 500, or nothing, on demand.
 */

export interface SlackChannel {
  id: string;
  name: string;
  /** The bot is a member (else not_in_channel). */
  member: boolean;
  archived?: boolean;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata: { event_type: string; event_payload: Record<string, unknown> } | null;
  thread_ts: string | null;
  reply_broadcast: boolean;
  edited: boolean;
  files: { id: string; title: string; filename: string; content: string }[];
}

export interface ApiCall {
  method: string;
  params: Record<string, unknown>;
  answer: { status: number; ok: boolean | null; error: string | null };
}

/** A one-off failure for the next call of a method ('*' for any). */
export type Fault =
  | { kind: 'http'; status: number; retryAfter?: number }
  | { kind: 'error'; error: string }
  /** Do the work (e.g. store the post), then never answer: a crash or timeout after Slack accepted. */
  | { kind: 'hang-after' }
  /** Do nothing and never answer: Slack stalled before accepting anything. */
  | { kind: 'hang' };

interface UploadSlot {
  id: string;
  filename: string;
  length: number;
  content: string | null;
}

const LIMITS = {
  text: 40_000,
  blocks: 50,
  section: 3_000,
  field: 2_000,
  fields: 10,
  header: 150,
  button: 75,
  url: 3_000,
  contextElements: 10,
};

class SlackApiError extends Error {
  constructor(readonly code: string, readonly details: string[] = []) {
    super(code);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function textOf(obj: unknown): string | null {
  return isRecord(obj) && typeof obj.text === 'string' ? obj.text : null;
}

/** Block Kit validation for the block types the service uses, with Slack's documented limits. */
export function validateBlocks(blocks: unknown): string[] {
  const errors: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  if (blocks.length > LIMITS.blocks) errors.push(`no more than ${LIMITS.blocks} items allowed [json-pointer:/blocks]`);
  blocks.forEach((block: unknown, i) => {
    const at = `[json-pointer:/blocks/${i}]`;
    if (!isRecord(block) || typeof block.type !== 'string') {
      errors.push(`block must be an object with a type ${at}`);
      return;
    }
    switch (block.type) {
      case 'header': {
        const text = textOf(block.text);
        if (!isRecord(block.text) || block.text.type !== 'plain_text') errors.push(`header text must be plain_text ${at}`);
        if (text === null || text.length === 0) errors.push(`header text required ${at}`);
        else if (text.length > LIMITS.header) errors.push(`must be less than ${LIMITS.header + 1} characters ${at}/text`);
        break;
      }
      case 'section': {
        const text = textOf(block.text);
        const fields = block.fields;
        if (text === null && !Array.isArray(fields)) errors.push(`section needs text or fields ${at}`);
        if (text !== null && (text.length === 0 || text.length > LIMITS.section)) errors.push(`must be between 1 and ${LIMITS.section} characters ${at}/text`);
        if (Array.isArray(fields)) {
          if (fields.length > LIMITS.fields) errors.push(`no more than ${LIMITS.fields} items allowed ${at}/fields`);
          fields.forEach((f: unknown, j) => {
            const ft = textOf(f);
            if (ft === null || ft.length > LIMITS.field) errors.push(`must be less than ${LIMITS.field + 1} characters ${at}/fields/${j}`);
          });
        }
        break;
      }
      case 'context': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > LIMITS.contextElements) {
          errors.push(`context needs 1 to ${LIMITS.contextElements} elements ${at}`);
        } else {
          elements.forEach((e: unknown, j) => {
            const et = textOf(e);
            if (et === null || et.length === 0 || et.length > LIMITS.section) errors.push(`invalid context element ${at}/elements/${j}`);
          });
        }
        break;
      }
      case 'actions': {
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) errors.push(`actions needs 1 to 25 elements ${at}`);
        else {
          elements.forEach((e: unknown, j) => {
            if (!isRecord(e) || e.type !== 'button') return;
            const bt = textOf(e.text);
            if (bt === null || bt.length > LIMITS.button) errors.push(`must be less than ${LIMITS.button + 1} characters ${at}/elements/${j}/text`);
            if (typeof e.url === 'string' && (e.url.length > LIMITS.url || !/^https?:\/\//.test(e.url))) errors.push(`invalid url ${at}/elements/${j}/url`);
          });
        }
        break;
      }
      case 'divider':
        break;
      default:
        errors.push(`unsupported block type ${block.type} ${at}`);
    }
  });
  return errors;
}

function parseJsonField(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new SlackApiError('invalid_arguments', [`not JSON: ${value.slice(0, 40)}`]);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The test server: `await SlackApiServer.start(opts)` listens on 127.0.0.1 port 0; `close()` ends it. */
export class SlackApiServer implements TestServer {
  readonly token: string;
  readonly channels: SlackChannel[];
  readonly messages: StoredMessage[] = [];
  readonly calls: ApiCall[] = [];
  /** Every request answers 503 while true (Slack down). */
  down = false;
  #server: Server;
  #faults = new Map<string, Fault[]>();
  #uploads = new Map<string, UploadSlot>();
  #tsCounter = 0;
  #fileCounter = 0;
  #baseTime: number;
  #hanging = new Set<ServerResponse>();
  /** Conditions waited for with waitFor(), checked after each call. */
  #waiters = new Set<() => void>();

  private constructor(opts: { token?: string; channels?: SlackChannel[]; baseTime?: number }) {
    this.token = opts.token ?? 'xoxb-test-token';
    this.channels = opts.channels ?? [
      { id: 'C0DEPLOYS1', name: 'deploys', member: true },
      { id: 'C0PAYMENT1', name: 'payments-alerts', member: true },
      { id: 'C0NOTMEMB1', name: 'not-a-member', member: false },
    ];
    this.#baseTime = opts.baseTime ?? Math.floor(Date.now() / 1000);
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
  }

  /** A server listening on 127.0.0.1:0; its `apiUrl` ends with `/api/` like Slack's. */
  static async start(opts: { token?: string; channels?: SlackChannel[]; baseTime?: number } = {}): Promise<SlackApiServer> {
    const server = new SlackApiServer(opts);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get origin(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  /** Stop listening; held calls are dropped. */
  async close(): Promise<void> {
    this.dropHeld();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /**
   * Resolve once `done()` holds, checked now and after each call Slack answers (or holds); `what` names
   * it in the error if it has not happened within `maxMs`, a bound on a hang only.
   */
  waitFor(what: string, done: () => boolean, maxMs = 120_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`gave up waiting after ${maxMs / 1000} s: ${what}`));
      }, maxMs);
      // A wait the test abandoned must not keep the process alive.
      timer.unref();
      this.#waiters.add(check);
    });
  }

  /** Calls Slack took without answering so far. */
  heldCalls(method: string): number {
    return this.callsOf(method).filter((c) => c.answer.error === 'no answer').length;
  }

  /** Drop the connections of the calls held without an answer, as a network failure after Slack accepted. */
  dropHeld(): void {
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
  }

  /** Forget faults armed with failNext() that no call has met yet. */
  clearFaults(): void {
    this.#faults.clear();
  }

  #record(call: ApiCall): void {
    this.calls.push(call);
    for (const check of [...this.#waiters]) check();
  }

  /** Make the next call of `method` ('*': any method) fail this way; queued in order. */
  failNext(method: string, fault: Fault, times = 1): void {
    const list = this.#faults.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.#faults.set(method, list);
  }

  /** Messages posted to a channel (by id), top-level and replies, in posting order. */
  messagesIn(channelId: string): StoredMessage[] {
    return this.messages.filter((m) => m.channel === channelId);
  }

  /** Calls of one method. */
  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  #takeFault(method: string): Fault | null {
    for (const key of [method, '*']) {
      const list = this.#faults.get(key);
      const fault = list?.shift();
      if (fault !== undefined) return fault;
    }
    return null;
  }

  #channel(value: unknown, requireMember = true): SlackChannel {
    if (typeof value !== 'string' || value === '') throw new SlackApiError('channel_not_found');
    const name = value.replace(/^#/, '');
    const channel = this.channels.find((c) => c.id === value || c.name === name);
    if (channel === undefined) throw new SlackApiError('channel_not_found');
    if (channel.archived === true) throw new SlackApiError('is_archived');
    if (requireMember && !channel.member) throw new SlackApiError('not_in_channel');
    return channel;
  }

  #nextTs(): string {
    this.#tsCounter++;
    return `${this.#baseTime + this.#tsCounter}.${String(this.#tsCounter * 100).padStart(6, '0')}`;
  }

  #metadata(params: Record<string, unknown>): StoredMessage['metadata'] {
    if (params.metadata === undefined) return null;
    const m = parseJsonField(params.metadata);
    if (!isRecord(m) || typeof m.event_type !== 'string' || !isRecord(m.event_payload)) throw new SlackApiError('invalid_metadata_format');
    if (!/^[A-Za-z0-9_]+$/.test(m.event_type)) throw new SlackApiError('invalid_metadata_format');
    return { event_type: m.event_type, event_payload: m.event_payload };
  }

  #content(params: Record<string, unknown>): { text: string; blocks: unknown[] } {
    const text = typeof params.text === 'string' ? params.text : '';
    const blocks = params.blocks === undefined ? [] : parseJsonField(params.blocks);
    if (text.length > LIMITS.text) throw new SlackApiError('msg_too_long');
    if (text === '' && (!Array.isArray(blocks) || blocks.length === 0)) throw new SlackApiError('no_text');
    const errors = validateBlocks(blocks);
    if (errors.length > 0) throw new SlackApiError('invalid_blocks', errors);
    return { text, blocks: blocks as unknown[] };
  }

  #view(m: StoredMessage, withMetadata: boolean): Record<string, unknown> {
    return {
      type: 'message',
      ts: m.ts,
      text: m.text,
      blocks: m.blocks,
      ...(m.thread_ts === null ? {} : { thread_ts: m.thread_ts }),
      ...(withMetadata && m.metadata !== null ? { metadata: m.metadata } : {}),
      ...(m.files.length === 0 ? {} : { files: m.files.map((f) => ({ id: f.id, title: f.title, name: f.filename })) }),
      bot_id: 'B0TEST',
    };
  }

  #call(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'chat.postMessage': {
        const channel = this.#channel(params.channel);
        const { text, blocks } = this.#content(params);
        const metadata = this.#metadata(params);
        const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : null;
        if (threadTs !== null && !this.messages.some((m) => m.channel === channel.id && m.ts === threadTs && m.thread_ts === null)) {
          throw new SlackApiError('thread_not_found');
        }
        const msg: StoredMessage = {
          channel: channel.id,
          ts: this.#nextTs(),
          text,
          blocks,
          metadata,
          thread_ts: threadTs,
          reply_broadcast: params.reply_broadcast === true || params.reply_broadcast === 'true',
          edited: false,
          files: [],
        };
        this.messages.push(msg);
        return { channel: channel.id, ts: msg.ts, message: this.#view(msg, true) };
      }
      case 'chat.update': {
        const channel = this.#channel(params.channel);
        if (channel.id !== params.channel) throw new SlackApiError('channel_not_found');
        const msg = this.messages.find((m) => m.channel === channel.id && m.ts === params.ts);
        if (msg === undefined) throw new SlackApiError('message_not_found');
        const { text, blocks } = this.#content(params);
        msg.text = text;
        msg.blocks = blocks;
        msg.edited = true;
        return { channel: channel.id, ts: msg.ts, text };
      }
      case 'conversations.history': {
        const channel = this.#channel(params.channel);
        if (channel.id !== params.channel) throw new SlackApiError('channel_not_found');
        const latest = params.latest === undefined ? Infinity : Number(params.latest);
        const oldest = params.oldest === undefined ? 0 : Number(params.oldest);
        const inclusive = params.inclusive === true || params.inclusive === 'true' || params.inclusive === '1';
        const limit = Math.min(999, Number(params.limit ?? 100));
        const offset = typeof params.cursor === 'string' && params.cursor !== '' ? Number(params.cursor) : 0;
        const withMetadata = params.include_all_metadata === true || params.include_all_metadata === 'true';
        const visible = this.messagesIn(channel.id)
          .filter((m) => m.thread_ts === null || m.reply_broadcast)
          .filter((m) => {
            const ts = Number(m.ts);
            return (inclusive ? ts <= latest && ts >= oldest : ts < latest && ts > oldest);
          })
          .reverse();
        const page = visible.slice(offset, offset + limit);
        const next = offset + limit < visible.length ? String(offset + limit) : '';
        return { messages: page.map((m) => this.#view(m, withMetadata)), has_more: next !== '', response_metadata: { next_cursor: next } };
      }
      case 'conversations.replies': {
        const channel = this.#channel(params.channel);
        if (channel.id !== params.channel) throw new SlackApiError('channel_not_found');
        const root = this.messages.find((m) => m.channel === channel.id && m.ts === params.ts);
        if (root === undefined) throw new SlackApiError('thread_not_found');
        const withMetadata = params.include_all_metadata === true || params.include_all_metadata === 'true';
        const thread = [root, ...this.messages.filter((m) => m.channel === channel.id && m.thread_ts === root.ts)];
        return { messages: thread.map((m) => this.#view(m, withMetadata)), has_more: false, response_metadata: { next_cursor: '' } };
      }
      case 'conversations.list':
        return {
          channels: this.channels.map((c) => ({ id: c.id, name: c.name, is_member: c.member, is_archived: c.archived === true })),
          response_metadata: { next_cursor: '' },
        };
      case 'files.getUploadURLExternal': {
        if (typeof params.filename !== 'string' || params.filename === '') throw new SlackApiError('invalid_arguments');
        const length = Number(params.length);
        if (!Number.isInteger(length) || length <= 0) throw new SlackApiError('invalid_arguments');
        this.#fileCounter++;
        const id = `F0TEST${String(this.#fileCounter).padStart(4, '0')}`;
        this.#uploads.set(id, { id, filename: params.filename, length, content: null });
        return { upload_url: `${this.origin}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = parseJsonField(params.files);
        if (!Array.isArray(files) || files.length === 0) throw new SlackApiError('invalid_arguments');
        const channelId = typeof params.channel_id === 'string' ? params.channel_id : null;
        const channel = channelId === null ? null : this.#channel(channelId);
        const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : null;
        const done: { id: string; title: string }[] = [];
        const shared: StoredMessage['files'] = [];
        for (const f of files as unknown[]) {
          const id = isRecord(f) && typeof f.id === 'string' ? f.id : '';
          const slot = this.#uploads.get(id);
          if (slot === undefined || slot.content === null) throw new SlackApiError('file_not_found');
          const title = isRecord(f) && typeof f.title === 'string' ? f.title : slot.filename;
          done.push({ id, title });
          shared.push({ id, title, filename: slot.filename, content: slot.content });
        }
        if (channel !== null) {
          const msg: StoredMessage = {
            channel: channel.id,
            ts: this.#nextTs(),
            text: typeof params.initial_comment === 'string' ? params.initial_comment : '',
            blocks: [],
            metadata: null,
            thread_ts: threadTs,
            reply_broadcast: false,
            edited: false,
            files: shared,
          };
          this.messages.push(msg);
        }
        return { files: done };
      }
      case 'auth.test':
        return { url: 'https://test.slack.com/', team: 'test', user: 'hook-alerts', team_id: 'T0TEST', user_id: 'U0BOT' };
      default:
        throw new SlackApiError('unknown_method');
    }
  }

  async #params(req: IncomingMessage, body: Buffer): Promise<Record<string, unknown>> {
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json')) {
      const parsed: unknown = JSON.parse(body.toString('utf8'));
      return isRecord(parsed) ? parsed : {};
    }
    if (type.startsWith('multipart/form-data')) {
      const form = await new Request('http://upload.invalid/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
      const out: Record<string, unknown> = {};
      for (const [k, v] of form.entries()) out[k] = typeof v === 'string' ? v : Buffer.from(await v.arrayBuffer()).toString('utf8');
      return out;
    }
    return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, payload: Record<string, unknown> | null, headers: Record<string, string> = {}): ApiCall['answer'] => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(payload === null ? '' : JSON.stringify(payload));
      return { status, ok: payload === null ? null : payload.ok === true, error: typeof payload?.error === 'string' ? payload.error : null };
    };

    if (url.pathname.startsWith('/upload/')) {
      const id = url.pathname.slice('/upload/'.length);
      const slot = this.#uploads.get(id);
      const params = await this.#params(req, body);
      const fault = this.#takeFault('upload');
      if (this.down || fault?.kind === 'http' || slot === undefined) {
        res.writeHead(this.down ? 503 : fault?.kind === 'http' ? fault.status : 404);
        res.end();
        return;
      }
      // The SDK posts the bytes as a multipart part; a raw body is accepted too.
      const part = Object.values(params).find((v) => typeof v === 'string');
      slot.content = typeof part === 'string' && Object.keys(params).length > 0 ? part : body.toString('utf8');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`OK - ${slot.content.length}`);
      return;
    }

    const method = url.pathname.replace(/^\/api\//, '');
    const params = await this.#params(req, body);
    const record = (answer: ApiCall['answer']): void => {
      this.#record({ method, params, answer });
    };
    if (this.down) {
      record(send(503, { ok: false, error: 'service_unavailable' }));
      return;
    }
    const fault = this.#takeFault(method);
    if (fault?.kind === 'http') {
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
      record(send(fault.status, fault.status === 429 ? { ok: false, error: 'ratelimited' } : { ok: false, error: 'internal_error' }, headers));
      return;
    }
    if (fault?.kind === 'error') {
      record(send(200, { ok: false, error: fault.error }));
      return;
    }
    if (fault?.kind === 'hang') {
      // Held open until the client gives up or close() destroys it.
      this.#hanging.add(res);
      record({ status: 0, ok: null, error: 'no answer' });
      return;
    }
    const auth = req.headers.authorization;
    const token = typeof params.token === 'string' ? params.token : auth?.replace(/^Bearer\s+/i, '');
    if (token === undefined || token === '') {
      record(send(200, { ok: false, error: 'not_authed' }));
      return;
    }
    if (token !== this.token) {
      record(send(200, { ok: false, error: 'invalid_auth' }));
      return;
    }
    try {
      const result = this.#call(method, params);
      if (fault?.kind === 'hang-after') {
        // Slack did the work; the answer never arrives (the client times out or the process dies).
        this.#hanging.add(res);
        record({ status: 0, ok: null, error: 'no answer' });
        return;
      }
      record(send(200, { ok: true, ...result }));
    } catch (err) {
      if (err instanceof SlackApiError) {
        record(send(200, { ok: false, error: err.code, ...(err.details.length > 0 ? { errors: err.details } : {}) }));
        return;
      }
      throw err;
    }
  }
}
