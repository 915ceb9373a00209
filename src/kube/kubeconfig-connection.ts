import { readFileSync } from 'node:fs';
import http, { type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import { describeError } from '../errors.js';
import { TunnelingHttpsAgent } from './proxy-tunnel.js';

/** Credentials for one request: an Authorization header value and/or a TLS client certificate. */
export interface Credentials {
  authorization: string | null;
  cert: string | null;
  key: string | null;
}

/** Where a connection's credentials come from; `invalidate` is called after a 401 so the next call refreshes. */
export interface CredentialSource {
  get(): Promise<Credentials>;
  invalidate(): void;
}

/** How the API server's certificate is checked (cluster fields of the kubeconfig). */
export interface ServerTrust {
  /** PEM of the CA bundle, or null for the system roots. */
  ca: string | null;
  rejectUnauthorized: boolean;
  servername: string | null;
}

/** A failure to get credentials (token file, exec plugin); the message never holds a secret. */
export class KubeCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeCredentialError';
  }
}

/** Credentials that never change (token, basic auth, client certificate files read at load). */
export function fixedCredentials(creds: Credentials): CredentialSource {
  return { get: () => Promise.resolve(creds), invalidate: () => undefined };
}

/**
 * Re-read a token file: at most once per `periodMs` (client-go's cachedFileTokenSource re-reads every
 * minute), because bound service account tokens rotate and tokenFile users expect the same.
 */
export class TokenFileSource implements CredentialSource {
  static readonly PERIOD_MS = 60_000;
  readonly #path: string;
  readonly #base: Credentials;
  readonly #now: () => number;
  readonly #periodMs: number;
  readonly #what: string;
  #token: string;
  #readAt: number;
  /** The server refused the current token (a 401): the next call must read the file. */
  #refused = false;

  /** Reads the file once now, so that a missing file is a start-up error. */
  constructor(path: string, opts: { base: Credentials; now: () => number; periodMs?: number; what: string }) {
    this.#path = path;
    this.#base = opts.base;
    this.#now = opts.now;
    this.#periodMs = opts.periodMs ?? TokenFileSource.PERIOD_MS;
    this.#what = opts.what;
    this.#token = TokenFileSource.#read(path, opts.what);
    this.#readAt = this.#now();
  }

  static #read(path: string, what: string): string {
    let token: string;
    try {
      token = readFileSync(path, 'utf8').trim();
    } catch (err) {
      throw new KubeCredentialError(`cannot read ${what} ${path}: ${describeError(err)}`);
    }
    if (token === '') throw new KubeCredentialError(`${what} ${path} is empty: it must hold a bearer token`);
    return token;
  }

  /**
   * The token, re-read when older than the period or after invalidate(). A periodic re-read that fails (a
   * rotation caught half way: the file empty or gone for a moment) keeps the last token and tries again on
   * the next call, as client-go's cachedFileTokenSource does; after a 401 the last token is known to be
   * refused, so the read error is the answer.
   */
  get(): Promise<Credentials> {
    if (this.#refused || this.#now() - this.#readAt >= this.#periodMs) {
      try {
        this.#token = TokenFileSource.#read(this.#path, this.#what);
        this.#readAt = this.#now();
        this.#refused = false;
      } catch (err) {
        if (this.#refused) return Promise.reject(err instanceof Error ? err : new KubeCredentialError(String(err)));
      }
    }
    return Promise.resolve({ ...this.#base, authorization: `Bearer ${this.#token}` });
  }

  /** After a 401, read the file again on the next call (the token may have rotated). */
  invalidate(): void {
    this.#refused = true;
  }
}

/** Idle keep-alive sockets close after this; the API server's own idle timeout is longer (90 s). */
const IDLE_SOCKET_MS = 30_000;

/** A kubeconfig `proxy-url`, checked: an http:// proxy that tunnels with CONNECT (kubectl also takes socks5, not supported here). */
export function parseProxyUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`proxy-url ${JSON.stringify(value)} is not a URL: write it as http://proxy.example:3128`);
  }
  if (url.protocol !== 'http:') {
    throw new Error(`proxy-url must be an http:// proxy (one that tunnels with CONNECT), not ${url.protocol}//: socks5 and https proxies are not supported`);
  }
  return url;
}

/**
 * One API server with its trust settings and credentials: what the Kubernetes client needs to send a
 * request. Sockets are kept alive in one agent per client identity; when an exec plugin hands out a new
 * client certificate the agent is replaced, so that new connections present it (old idle sockets time out).
 */
export class KubeConnection {
  /** The API server URL as configured. */
  readonly server: string;
  readonly #trust: ServerTrust;
  readonly #credentials: CredentialSource;
  readonly #headers: OutgoingHttpHeaders;
  readonly #proxy: URL | null;
  #agent: http.Agent | null = null;
  #agentIdentity: { cert: string | null; key: string | null } = { cert: null, key: null };

  constructor(server: string, opts: { trust: ServerTrust; credentials: CredentialSource; headers?: OutgoingHttpHeaders; proxy?: URL | null }) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new Error(`server ${JSON.stringify(server)} is not a URL: write it as https://host:port`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(`server ${server} must start with https:// (or http:// for a local proxy)`);
    }
    this.server = server;
    this.#trust = opts.trust;
    this.#credentials = opts.credentials;
    this.#headers = opts.headers ?? {};
    this.#proxy = opts.proxy ?? null;
    // A plain-HTTP server is a local `kubectl proxy`, never behind an egress proxy.
    if (this.#proxy !== null && url.protocol !== 'https:') throw new Error(`proxy-url needs an https:// server, not ${server}`);
  }

  /** The agent and headers for one request; TLS settings live in the agent (they override request options). */
  async requestOptions(): Promise<{ agent: http.Agent; headers: OutgoingHttpHeaders }> {
    const creds = await this.#credentials.get();
    const headers: OutgoingHttpHeaders = { ...this.#headers };
    if (creds.authorization !== null) headers.authorization = creds.authorization;
    return { agent: this.#agentFor(creds), headers };
  }

  /** Called on HTTP 401: cached credentials are dropped and fetched again by the next request. */
  invalidateCredentials(): void {
    this.#credentials.invalidate();
  }

  /** Destroy every socket of this connection, in flight or idle (shutdown, tests). */
  close(): void {
    this.#agent?.destroy();
    this.#agent = null;
  }

  #agentFor(creds: Credentials): http.Agent {
    const same = creds.cert === this.#agentIdentity.cert && creds.key === this.#agentIdentity.key;
    if (this.#agent !== null && same) return this.#agent;
    const common = { keepAlive: true, timeout: IDLE_SOCKET_MS };
    const tlsOptions: https.AgentOptions = {
      ...common,
      ...(this.#trust.ca === null ? {} : { ca: this.#trust.ca }),
      rejectUnauthorized: this.#trust.rejectUnauthorized,
      ...(this.#trust.servername === null ? {} : { servername: this.#trust.servername }),
      ...(creds.cert === null || creds.key === null ? {} : { cert: creds.cert, key: creds.key }),
    };
    const proxy = this.#proxy;
    if (this.server.startsWith('http:')) this.#agent = new http.Agent(common);
    else this.#agent = proxy === null ? new https.Agent(tlsOptions) : new TunnelingHttpsAgent(proxy, tlsOptions);
    this.#agentIdentity = { cert: creds.cert, key: creds.key };
    return this.#agent;
  }
}
