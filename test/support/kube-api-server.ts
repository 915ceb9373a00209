import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from './test-server.js';

/**
 * A Kubernetes API server for tests: real REST over HTTP on 127.0.0.1, reached by the service's Kubernetes
 * client (src/kube/kube-client.ts) through a generated kubeconfig (plain http server, token user). It serves Jobs, Pods, Events and Secrets in the
 * shapes `kubectl get -o json` shows, Argo CD Applications (argoproj.io/v1alpha1, list and watch), `Status` errors (401, 403, 404, 400, 410, 500), `pods/log` with
 * `container`, `tailLines`, `limitBytes` and `previous`, lists with label/field selectors and paging, and
 * watch streams (JSON lines of {type, object}, BOOKMARK, ERROR 410 Gone). Lists honour `limit` and hand out
 * `metadata.continue` tokens as the API server does. Tests can make requests hang or fail on demand, delete
 * objects mid-test (every watch sees the change), and play a misbehaving server: a list of any size that
 * ignores `limit`, or a watch stream that never sends a newline.
 */

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

type Resource = 'jobs' | 'pods' | 'events' | 'secrets' | 'applications';
const KIND: Record<Resource, { kind: string; apiVersion: string; group: string }> = {
  jobs: { kind: 'Job', apiVersion: 'batch/v1', group: 'batch' },
  pods: { kind: 'Pod', apiVersion: 'v1', group: '' },
  events: { kind: 'Event', apiVersion: 'v1', group: '' },
  secrets: { kind: 'Secret', apiVersion: 'v1', group: '' },
  applications: { kind: 'Application', apiVersion: 'argoproj.io/v1alpha1', group: 'argoproj.io' },
};
/** Where each resource's API group is served. */
const GROUP_PATHS = '(?:api/v1|apis/batch/v1|apis/argoproj\\.io/v1alpha1)';

interface WatchEntry {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: KubeObject;
  rv: number;
}

interface OpenWatch {
  resource: Resource;
  namespace: string | null;
  labelSelector: string | null;
  fieldSelector: string | null;
  res: ServerResponse;
  timer: NodeJS.Timeout | null;
}

/** A request as the server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  /** Position in the server's sequence of arrivals and answers (see `waves`). */
  arrivedAt: number;
  /** Same sequence; null until the answer was sent. */
  answeredAt: number | null;
}

/** One pods/log answer: what was asked and how many bytes went out. */
export interface LogRead {
  pod: string;
  container: string;
  query: Record<string, string>;
  bytesSent: number;
  /** The whole answer was written (false: the client stopped reading). */
  completed: boolean;
}

/** A fault: requests whose path matches answer with a Status error, or hang until the server closes. */
export interface FaultRule {
  method?: string;
  path: RegExp;
  /** Only watch requests (watch=true) or only non-watch requests. */
  watch?: boolean;
  respond: { status: number; reason: string; message: string; retryAfter?: string } | 'hang';
  /** How many requests it applies to; default: all. */
  times?: number;
}

function status(code: number, reason: string, message: string, details?: Record<string, string>): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** Parse and match a label selector: `k`, `!k`, `k=v`, `k==v`, `k!=v`, comma-separated (no set syntax). */
export function matchesLabels(selector: string | null, labels: Record<string, string> = {}): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    const ne = t.indexOf('!=');
    if (ne >= 0) return labels[t.slice(0, ne)] !== t.slice(ne + 2);
    const eq = t.indexOf('=');
    if (eq < 0) return t in labels;
    const key = t.slice(0, eq);
    const value = t.slice(eq + 1).replace(/^=/, '');
    return labels[key] === value;
  });
}

function fieldValue(obj: unknown, path: string): string | undefined {
  let node: unknown = obj;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  if (node === undefined || node === null) return undefined;
  return typeof node === 'string' ? node : JSON.stringify(node);
}

function matchesFields(selector: string | null, obj: KubeObject): boolean {
  if (selector === null || selector === '') return true;
  return selector.split(',').every((term) => {
    const ne = term.indexOf('!=');
    if (ne >= 0) return fieldValue(obj, term.slice(0, ne)) !== term.slice(ne + 2);
    const eq = term.indexOf('=');
    return fieldValue(obj, term.slice(0, eq)) === term.slice(eq + 1).replace(/^=/, '');
  });
}

/** The last `n` lines of a text (a trailing newline does not count as an extra line). */
function tailLines(text: string, n: number): string {
  let end = text.length;
  if (text.endsWith('\n')) end -= 1;
  let pos = end;
  for (let i = 0; i < n; i += 1) {
    const nl = text.lastIndexOf('\n', pos - 1);
    if (nl < 0) return text;
    pos = nl;
    if (i === n - 1) return text.slice(nl + 1);
  }
  return text;
}

/** See the file comment. `await KubeApiServer.start()`, then `t.teardown(() => server.close())`. */
export class KubeApiServer implements TestServer {
  readonly token: string;
  readonly requests: SeenRequest[] = [];
  readonly logReads: LogRead[] = [];
  /** Ignore limitBytes on pods/log, like a proxy that strips it: the client must stop reading itself. */
  ignoreLimitBytes = false;
  /**
   * Bytes written to streamed answers (huge lists, newline-less watches). Loopback socket buffers take
   * tens of MiB on their own (tcp_rmem's maximum is 32 MiB here), so this says how far the kernel let the
   * server write, not how much the client read: a figure to print, not a bound to assert.
   */
  streamedBytes = 0;
  /** Per streamed answer that the client closed before its end: the bytes written until then. */
  readonly cutStreams: number[] = [];
  /**
   * Added to every answer (the opening of a watch included, not the events it streams afterwards): the
   * round trip to a remote cluster's API server.
   */
  delayMs = 0;
  #seq = 0;
  #sockets = new Set<Socket>();
  #closedSocketBytes = 0;
  #holds: { path: RegExp; waiting: (() => void)[] }[] = [];
  #hugeLists = new Map<Resource, { count: number; item: (i: number) => KubeObject }>();
  #watchNoNewline: { maxBytes: number } | null = null;
  #server: http.Server;
  #url = '';
  #rv = 100;
  #compactedRv = 0;
  #objects = new Map<string, { resource: Resource; object: KubeObject }>();
  #history: WatchEntry[] = [];
  #watches = new Set<OpenWatch>();
  #hanging = new Set<ServerResponse>();
  #faults: FaultRule[] = [];
  #logs = new Map<string, string>();
  #leases = new Map<string, KubeObject>();
  /** Every Lease write the server accepted, in order. */
  readonly leaseWrites: KubeObject[] = [];

  private constructor(token: string) {
    this.token = token;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => {
        this.#sockets.delete(socket);
        this.#closedSocketBytes += socket.bytesWritten;
      });
    });
  }

  /** Client connections open now; 0 once a killed client's sockets are closed, and every request it had sent is in `requests`. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Bytes written to clients on every connection so far (headers, lists, watch events): the wire cost of a watcher. */
  get bytesSent(): number {
    let open = 0;
    for (const socket of this.#sockets) open += socket.bytesWritten;
    return this.#closedSocketBytes + open;
  }

  /** Listen on 127.0.0.1:0. */
  static async start(opts: { token?: string } = {}): Promise<KubeApiServer> {
    const server = new KubeApiServer(opts.token ?? 'test-token-0123456789');
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    const { port } = server.#server.address() as AddressInfo;
    server.#url = `http://127.0.0.1:${port}`;
    return server;
  }

  get url(): string {
    return this.#url;
  }

  /** The latest resourceVersion handed out. */
  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Watches currently open. */
  get openWatches(): number {
    return this.#watches.size;
  }

  /** Write a kubeconfig that reaches this server (a token user; the server is plain http on 127.0.0.1). */
  writeKubeconfig(dir: string, opts: { file?: string; context?: string; token?: string } = {}): string {
    const context = opts.context ?? 'test';
    const file = join(dir, opts.file ?? 'kubeconfig.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: ${context}-cluster`,
        '  cluster:',
        `    server: ${this.#url}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        `- name: ${context}-user`,
        '  user:',
        `    token: ${opts.token ?? this.token}`,
        'contexts:',
        `- name: ${context}`,
        '  context:',
        `    cluster: ${context}-cluster`,
        `    user: ${context}-user`,
        `current-context: ${context}`,
        '',
      ].join('\n'),
    );
    return file;
  }

  // --- objects -------------------------------------------------------------------------------------

  #key(resource: Resource, namespace: string, name: string): string {
    return `${resource}/${namespace}/${name}`;
  }

  #emit(type: WatchEntry['type'], resource: Resource, object: KubeObject): void {
    const entry: WatchEntry = { type, resource, object: structuredClone(object), rv: Number(object.metadata.resourceVersion) };
    this.#history.push(entry);
    for (const w of this.#watches) {
      if (this.#watchMatches(w, entry)) this.#send(w, entry.type, entry.object);
    }
  }

  #put(resource: Resource, object: KubeObject): KubeObject {
    const ns = object.metadata.namespace ?? 'default';
    const key = this.#key(resource, ns, object.metadata.name);
    const existed = this.#objects.has(key);
    this.#rv += 1;
    const stored: KubeObject = structuredClone({ ...object, metadata: { ...object.metadata, namespace: ns, resourceVersion: String(this.#rv) } });
    this.#objects.set(key, { resource, object: stored });
    this.#emit(existed ? 'MODIFIED' : 'ADDED', resource, stored);
    return stored;
  }

  /** Create or replace a Job. */
  putJob(job: KubeObject): KubeObject {
    return this.#put('jobs', job);
  }

  /** Create or replace a Pod. */
  putPod(pod: KubeObject): KubeObject {
    return this.#put('pods', pod);
  }

  /** Create an Event. */
  putEvent(event: KubeObject): KubeObject {
    return this.#put('events', event);
  }

  /** Create or replace an Argo CD Application (a watch sees ADDED, then MODIFIED). */
  putApplication(app: KubeObject): KubeObject {
    return this.#put('applications', app);
  }

  /** Create or replace a Secret; `stringData` is encoded into `data` as the API server does, and never stored. */
  putSecret(secret: KubeObject & { stringData?: Record<string, string> }): KubeObject {
    const { stringData, ...rest } = secret;
    const data: Record<string, string> = { ...((rest.data as Record<string, string> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(stringData ?? {})) data[k] = Buffer.from(v, 'utf8').toString('base64');
    return this.#put('secrets', { ...rest, data });
  }

  /** The stored object (a copy). */
  get(resource: Resource, namespace: string, name: string): KubeObject | undefined {
    const found = this.#objects.get(this.#key(resource, namespace, name));
    return found === undefined ? undefined : structuredClone(found.object);
  }

  /** Change a stored object in place (a MODIFIED watch event). */
  update(resource: Resource, namespace: string, name: string, change: (o: KubeObject) => void): KubeObject {
    const current = this.get(resource, namespace, name);
    if (current === undefined) throw new Error(`no ${resource} ${namespace}/${name}`);
    change(current);
    return this.#put(resource, current);
  }

  /** Delete an object (a DELETED watch event); pods lose their logs with it. */
  delete(resource: Resource, namespace: string, name: string): void {
    const key = this.#key(resource, namespace, name);
    const found = this.#objects.get(key);
    if (found === undefined) return;
    this.#objects.delete(key);
    this.#rv += 1;
    const gone = structuredClone({ ...found.object, metadata: { ...found.object.metadata, resourceVersion: String(this.#rv) } });
    this.#emit('DELETED', resource, gone);
    if (resource === 'pods') {
      for (const k of [...this.#logs.keys()]) if (k.startsWith(`${namespace}/${name}/`)) this.#logs.delete(k);
    }
  }

  /** Delete a Job and its pods, as Argo CD's hook deletion (foreground propagation) ends up doing. */
  deleteJobWithPods(namespace: string, name: string): void {
    for (const { resource, object } of [...this.#objects.values()]) {
      if (resource === 'pods' && object.metadata.namespace === namespace && object.metadata.labels?.['job-name'] === name) {
        this.delete('pods', namespace, object.metadata.name);
      }
    }
    this.delete('jobs', namespace, name);
  }

  /** Set a container's log (`previous`: the log of its last terminated run). */
  setLog(namespace: string, pod: string, container: string, text: string, opts: { previous?: boolean } = {}): void {
    this.#logs.set(`${namespace}/${pod}/${container}/${opts.previous === true ? 'previous' : 'current'}`, text);
  }

  // --- faults and watch control ----------------------------------------------------------------------

  /** Add a fault rule (see FaultRule). */
  fault(rule: FaultRule): void {
    this.#faults.push({ ...rule });
  }

  /** Answer 403 the way RBAC does for a verb on a resource ("pods", "pods/log", "jobs", "events", "secrets", "applications"), in one namespace or all. */
  forbid(verb: 'get' | 'list' | 'watch', resource: string, namespace?: string): void {
    const [res = resource, sub] = resource.split('/');
    const ns = namespace === undefined ? '(?:/namespaces/[^/]+)?' : `/namespaces/${namespace}`;
    const tail = sub !== undefined ? `/[^/]+/${sub}` : verb === 'get' ? '/[^/]+' : '';
    const where = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
    const group = res in KIND ? KIND[res as Resource].group : '';
    this.fault({
      path: new RegExp(`^/${GROUP_PATHS}${ns}/${res}${tail}$`),
      ...(verb === 'get' ? {} : { watch: verb === 'watch' }),
      respond: {
        status: 403,
        reason: 'Forbidden',
        message: `${res} is forbidden: User "system:serviceaccount:argocd:argocd-hook-alerts" cannot ${verb} resource "${resource}" in API group "${group}" ${where}`,
      },
    });
  }

  /**
   * Answer every list of `resource` with `count` generated items in one answer, ignoring `limit` and
   * selectors (a broken server, or a proxy that strips the query): streamed, so that the test process
   * does not hold it.
   */
  serveHugeList(resource: Resource, count: number, item: (i: number) => KubeObject): void {
    this.#hugeLists.set(resource, { count, item });
  }

  /** Answer every watch with one endless line (no newline ever), up to `maxBytes`, then end. */
  serveWatchWithoutNewlines(maxBytes = 256 * 1024 * 1024): void {
    this.#watchNoNewline = { maxBytes };
  }

  /**
   * Hold the answers to requests whose path matches until `release()`: a test sees what else the client
   * asks while it waits (whether two reads overlap, whether one kind of read queues behind another).
   */
  hold(path: RegExp): { release: () => void; readonly held: number } {
    const rule = { path, waiting: [] as (() => void)[] };
    this.#holds.push(rule);
    return {
      release: () => {
        this.#holds = this.#holds.filter((h) => h !== rule);
        for (const answer of rule.waiting.splice(0)) answer();
      },
      get held() {
        return rule.waiting.length;
      },
    };
  }

  /**
   * How many dependent rounds of requests these were: a request is one round after the latest round
   * answered before it arrived, so requests sent together are one round, and one sent after reading an
   * answer is the next. With `delayMs` well above the client's own time, the count is the client's.
   */
  static waves(requests: readonly SeenRequest[]): number {
    const wave = new Map<SeenRequest, number>();
    for (const r of [...requests].sort((a, b) => a.arrivedAt - b.arrivedAt)) {
      let before = 0;
      for (const [q, w] of wave) if (q.answeredAt !== null && q.answeredAt < r.arrivedAt) before = Math.max(before, w);
      wave.set(r, before + 1);
    }
    return Math.max(0, ...wave.values());
  }

  /** Remove every fault rule. */
  clearFaults(): void {
    this.#faults = [];
  }

  /** Send a BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.#watches) {
      this.#send(w, 'BOOKMARK', {
        kind: KIND[w.resource].kind,
        apiVersion: KIND[w.resource].apiVersion,
        metadata: { name: '', resourceVersion: String(this.#rv) },
      });
    }
  }

  /** Compact history: watches from an older resourceVersion get 410 Gone; open watches get an ERROR 410 now. */
  expireWatches(): void {
    this.#compactedRv = this.#rv;
    this.#history = [];
    for (const w of [...this.#watches]) {
      this.#send(w, 'ERROR', status(410, 'Expired', `too old resource version: 1 (${this.#rv})`));
      this.#endWatch(w);
    }
  }

  /** End every open watch stream normally (a server-side timeout or a dropped connection). */
  closeWatches(): void {
    for (const w of [...this.#watches]) this.#endWatch(w);
  }

  /** Stop listening; open watches end, held answers are dropped. */
  async close(): Promise<void> {
    for (const w of [...this.#watches]) this.#endWatch(w);
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // --- HTTP --------------------------------------------------------------------------------------------

  #reply(req: IncomingMessage, res: ServerResponse, seen: SeenRequest, code: number, body: unknown, headers: Record<string, string> = {}): void {
    seen.status = code;
    const text = JSON.stringify(body);
    res.writeHead(code, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const query = Object.fromEntries(url.searchParams.entries());
    this.#seq += 1;
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query, status: 0, arrivedAt: this.#seq, answeredAt: null };
    this.requests.push(seen);
    res.on('finish', () => {
      this.#seq += 1;
      seen.answeredAt = this.#seq;
    });
    const answer = (): void => {
      if (res.destroyed) return;
      this.#answer(req, res, url, query, seen);
    };
    const go = (): void => {
      const hold = this.#holds.find((h) => h.path.test(seen.path));
      if (hold === undefined) {
        answer();
        return;
      }
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      hold.waiting.push(answer);
    };
    if (this.delayMs > 0) setTimeout(go, this.delayMs);
    else go();
  }

  #answer(req: IncomingMessage, res: ServerResponse, url: URL, query: Record<string, string>, seen: SeenRequest): void {
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.#reply(req, res, seen, 401, status(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    const isWatch = query.watch === 'true' || query.watch === '1';
    const fault = this.#faults.find(
      (f) => (f.method ?? 'GET') === seen.method && f.path.test(url.pathname) && (f.watch === undefined || f.watch === isWatch) && (f.times ?? 1) > 0,
    );
    if (fault !== undefined) {
      if (fault.times !== undefined) fault.times -= 1;
      if (fault.respond === 'hang') {
        seen.status = -1;
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
        return;
      }
      const { retryAfter } = fault.respond;
      this.#reply(req, res, seen, fault.respond.status, status(fault.respond.status, fault.respond.reason, fault.respond.message), retryAfter === undefined ? {} : { 'Retry-After': retryAfter });
      return;
    }
    const lease = /^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/leases(?:\/([^/]+))?$/.exec(url.pathname);
    if (lease !== null) {
      this.#lease(req, res, seen, decodeURIComponent(lease[1] ?? ''), lease[2] === undefined ? null : decodeURIComponent(lease[2]));
      return;
    }
    const route = this.#route(url.pathname);
    if (route === null) {
      this.#reply(req, res, seen, 404, status(404, 'NotFound', 'the server could not find the requested resource'));
      return;
    }
    const { resource, namespace, name, sub } = route;
    if (sub === 'log' && name !== null && namespace !== null) {
      this.#log(res, seen, namespace, name, query);
      return;
    }
    if (name !== null && namespace !== null) {
      const found = this.#objects.get(this.#key(resource, namespace, name));
      if (found === undefined) {
        const group = KIND[resource].group;
        this.#reply(req, res, seen, 404, status(404, 'NotFound', `${resource}${group === '' ? '' : `.${group}`} "${name}" not found`, { name, ...(group === '' ? {} : { group }), kind: resource }));
        return;
      }
      this.#reply(req, res, seen, 200, { kind: KIND[resource].kind, apiVersion: KIND[resource].apiVersion, ...found.object });
      return;
    }
    if (isWatch) {
      if (this.#watchNoNewline !== null) {
        seen.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        const head = Buffer.from('{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"');
        const filler = Buffer.alloc(64 * 1024, 'a');
        this.#stream(res, head, (sent) => (sent >= (this.#watchNoNewline?.maxBytes ?? 0) ? null : filler), Buffer.alloc(0));
        return;
      }
      this.#watch(res, seen, resource, namespace, query);
      return;
    }
    const huge = this.#hugeLists.get(resource);
    if (huge !== undefined) {
      seen.status = 200;
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const head = Buffer.from(`{"kind":"${KIND[resource].kind}List","apiVersion":"${KIND[resource].apiVersion}","metadata":{"resourceVersion":"${this.#rv}"},"items":[`);
      let next = 0;
      this.#stream(
        res,
        head,
        () => {
          if (next >= huge.count) return null;
          const batch: string[] = [];
          for (let n = 0; n < 256 && next < huge.count; n += 1, next += 1) {
            batch.push(JSON.stringify(huge.item(next)));
          }
          return Buffer.from(`${next - batch.length === 0 ? '' : ','}${batch.join(',')}`);
        },
        Buffer.from(']}'),
      );
      return;
    }
    this.#list(req, res, seen, resource, namespace, query);
  }

  /**
   * Leases (coordination.k8s.io/v1) as the API server treats them: GET, POST (409 AlreadyExists when it
   * exists), PUT with optimistic concurrency (409 Conflict unless the body's resourceVersion is current).
   */
  #lease(req: IncomingMessage, res: ServerResponse, seen: SeenRequest, namespace: string, name: string | null): void {
    const notFound = (n: string): void =>
      this.#reply(req, res, seen, 404, status(404, 'NotFound', `leases.coordination.k8s.io "${n}" not found`, { name: n, group: 'coordination.k8s.io', kind: 'leases' }));
    if (seen.method === 'GET' && name !== null) {
      const found = this.#leases.get(`${namespace}/${name}`);
      if (found === undefined) notFound(name);
      else this.#reply(req, res, seen, 200, found);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: KubeObject;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject;
      } catch {
        this.#reply(req, res, seen, 400, status(400, 'BadRequest', 'the body is not JSON'));
        return;
      }
      const key = `${namespace}/${body.metadata.name}`;
      const existing = this.#leases.get(key);
      if (seen.method === 'POST' && name === null) {
        if (existing !== undefined) {
          this.#reply(req, res, seen, 409, status(409, 'AlreadyExists', `leases.coordination.k8s.io "${body.metadata.name}" already exists`));
          return;
        }
      } else if (seen.method === 'PUT' && name !== null && name === body.metadata.name) {
        if (existing === undefined) {
          notFound(name);
          return;
        }
        if (body.metadata.resourceVersion !== existing.metadata.resourceVersion) {
          this.#reply(req, res, seen, 409, status(409, 'Conflict', `Operation cannot be fulfilled on leases.coordination.k8s.io "${name}": the object has been modified; please apply your changes to the latest version and try again`));
          return;
        }
      } else {
        this.#reply(req, res, seen, 405, status(405, 'MethodNotAllowed', `${seen.method} is not supported on this path by the test server`));
        return;
      }
      this.#rv += 1;
      const stored: KubeObject = { ...body, metadata: { ...body.metadata, namespace, resourceVersion: String(this.#rv) } };
      this.#leases.set(key, stored);
      this.leaseWrites.push(structuredClone(stored));
      this.#reply(req, res, seen, existing === undefined ? 201 : 200, stored);
    });
  }

  /** The Lease as stored (a copy), or undefined. */
  lease(namespace: string, name: string): KubeObject | undefined {
    const found = this.#leases.get(`${namespace}/${name}`);
    return found === undefined ? undefined : structuredClone(found);
  }

  #route(path: string): { resource: Resource; namespace: string | null; name: string | null; sub: string | null } | null {
    const m =
      /^\/api\/v1(?:\/namespaces\/([^/]+))?\/(pods|events|secrets)(?:\/([^/]+))?(?:\/(log))?$/.exec(path) ??
      /^\/apis\/batch\/v1(?:\/namespaces\/([^/]+))?\/(jobs)(?:\/([^/]+))?()$/.exec(path) ??
      /^\/apis\/argoproj\.io\/v1alpha1(?:\/namespaces\/([^/]+))?\/(applications)(?:\/([^/]+))?()$/.exec(path);
    if (m === null) return null;
    return { namespace: m[1] ?? null, resource: m[2] as Resource, name: m[3] ?? null, sub: m[4] === '' || m[4] === undefined ? null : m[4] };
  }

  #select(resource: Resource, namespace: string | null, query: Record<string, string>): KubeObject[] {
    return [...this.#objects.values()]
      .filter((o) => o.resource === resource)
      .map((o) => o.object)
      .filter((o) => namespace === null || o.metadata.namespace === namespace)
      .filter((o) => matchesLabels(query.labelSelector ?? null, o.metadata.labels))
      .filter((o) => matchesFields(query.fieldSelector ?? null, o))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  }

  #list(req: IncomingMessage, res: ServerResponse, seen: SeenRequest, resource: Resource, namespace: string | null, query: Record<string, string>): void {
    const all = this.#select(resource, namespace, query);
    const offset = query.continue === undefined ? 0 : Number(Buffer.from(query.continue, 'base64url').toString());
    const limit = query.limit === undefined ? all.length : Number(query.limit);
    const items = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64url') : undefined;
    this.#reply(req, res, seen, 200, {
      kind: `${KIND[resource].kind}List`,
      apiVersion: KIND[resource].apiVersion,
      metadata: { resourceVersion: String(this.#rv), ...(next === undefined ? {} : { continue: next }) },
      items,
    });
  }

  /** Write `head`, then each chunk `next` gives (null: done), then `tail`, with backpressure; stops when the client goes. */
  #stream(res: ServerResponse, head: Buffer, next: (sent: number) => Buffer | null, tail: Buffer): void {
    let sent = 0;
    let closed = false;
    let ended = false;
    res.on('close', () => {
      closed = true;
      if (!ended) this.cutStreams.push(sent);
    });
    const write = (chunk: Buffer): boolean => {
      sent += chunk.length;
      this.streamedBytes += chunk.length;
      return res.write(chunk);
    };
    const pump = (): void => {
      for (;;) {
        if (closed) return;
        const chunk = next(sent);
        if (chunk === null) {
          ended = true;
          res.end(tail);
          return;
        }
        if (!write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    if (write(head)) pump();
    else res.once('drain', pump);
  }

  #watchMatches(w: OpenWatch, e: WatchEntry): boolean {
    return (
      w.resource === e.resource &&
      (w.namespace === null || e.object.metadata.namespace === w.namespace) &&
      matchesLabels(w.labelSelector, e.object.metadata.labels) &&
      matchesFields(w.fieldSelector, e.object)
    );
  }

  #send(w: OpenWatch, type: string, object: object): void {
    w.res.write(`${JSON.stringify({ type, object: { kind: KIND[w.resource].kind, apiVersion: KIND[w.resource].apiVersion, ...object } })}\n`);
  }

  #endWatch(w: OpenWatch): void {
    if (w.timer !== null) clearTimeout(w.timer);
    this.#watches.delete(w);
    w.res.end();
  }

  #watch(res: ServerResponse, seen: SeenRequest, resource: Resource, namespace: string | null, query: Record<string, string>): void {
    seen.status = 200;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    const w: OpenWatch = { resource, namespace, labelSelector: query.labelSelector ?? null, fieldSelector: query.fieldSelector ?? null, res, timer: null };
    const from = query.resourceVersion === undefined || query.resourceVersion === '' ? null : Number(query.resourceVersion);
    if (from !== null && from !== 0 && from < this.#compactedRv) {
      this.#send(w, 'ERROR', status(410, 'Expired', `too old resource version: ${from} (${this.#rv})`));
      res.end();
      return;
    }
    this.#watches.add(w);
    res.on('close', () => {
      if (w.timer !== null) clearTimeout(w.timer);
      this.#watches.delete(w);
    });
    if (from === null || from === 0) {
      for (const o of this.#select(resource, namespace, query)) this.#send(w, 'ADDED', o);
    } else {
      for (const e of this.#history) if (e.rv > from && this.#watchMatches(w, e)) this.#send(w, e.type, e.object);
    }
    const timeout = Number(query.timeoutSeconds ?? '0');
    if (timeout > 0) w.timer = setTimeout(() => this.#endWatch(w), timeout * 1000);
  }

  #log(res: ServerResponse, seen: SeenRequest, namespace: string, podName: string, query: Record<string, string>): void {
    const pod = this.#objects.get(this.#key('pods', namespace, podName))?.object;
    const fail = (code: number, reason: string, message: string): void => {
      seen.status = code;
      const text = JSON.stringify(status(code, reason, message));
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(text);
    };
    if (pod === undefined) {
      fail(404, 'NotFound', `pods "${podName}" not found`);
      return;
    }
    const spec = pod.spec as { containers?: { name: string }[]; initContainers?: { name: string }[] } | undefined;
    const names = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.name);
    const container = query.container ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined) {
      fail(400, 'BadRequest', `a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`);
      return;
    }
    if (!names.includes(container)) {
      fail(400, 'BadRequest', `container ${container} is not valid for pod ${podName}`);
      return;
    }
    const previous = query.previous === 'true';
    const text = this.#logs.get(`${namespace}/${podName}/${container}/${previous ? 'previous' : 'current'}`);
    if (text === undefined) {
      if (previous) {
        fail(400, 'BadRequest', `previous terminated container "${container}" in pod "${podName}" not found`);
        return;
      }
      const st = pod.status as { containerStatuses?: { name: string; state?: { waiting?: { reason?: string } } }[]; initContainerStatuses?: { name: string; state?: { waiting?: { reason?: string } } }[] } | undefined;
      const cs = [...(st?.initContainerStatuses ?? []), ...(st?.containerStatuses ?? [])].find((c) => c.name === container);
      if (cs?.state?.waiting !== undefined) {
        fail(400, 'BadRequest', `container "${container}" in pod "${podName}" is waiting to start: ${cs.state.waiting.reason === 'ImagePullBackOff' || cs.state.waiting.reason === 'ErrImagePull' ? 'trying and failing to pull image' : 'ContainerCreating'}`);
        return;
      }
    }
    let body = Buffer.from(query.tailLines === undefined ? (text ?? '') : tailLines(text ?? '', Number(query.tailLines)));
    const limit = query.limitBytes === undefined ? Infinity : Number(query.limitBytes);
    if (!this.ignoreLimitBytes && body.length > limit) body = body.subarray(0, limit);
    seen.status = 200;
    const read: LogRead = { pod: podName, container, query, bytesSent: 0, completed: false };
    this.logReads.push(read);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    // Write in 16 KiB chunks with backpressure, so that a client that stops reading stops the writing.
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + 16 * 1024);
        offset += chunk.length;
        read.bytesSent += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      read.completed = true;
      res.end();
    };
    res.on('close', () => res.removeListener('drain', pump));
    pump();
  }
}
