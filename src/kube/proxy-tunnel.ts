import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** Agents whose connections go through an HTTP proxy's CONNECT tunnel (a kubeconfig cluster's `proxy-url`). */
type ConnectionCallback = (err: Error | null, socket?: Socket) => void;
type AgentCallback = (err: Error | null, stream: Duplex) => void;

/** Report a failed tunnel to Node's Agent, which reads only the error then (lib/_http_agent.js, oncreate). */
function fail(done: AgentCallback, err: Error | null): void {
  done(err ?? new Error('no tunnel'), undefined as unknown as Duplex);
}

function target(options: http.ClientRequestArgs): { host: string; port: number } {
  return { host: options.hostname ?? options.host ?? 'localhost', port: Number(options.port) };
}

function needCallback(callback: AgentCallback | undefined): AgentCallback {
  if (callback === undefined) throw new Error('a tunnelled connection is asynchronous: Node\'s Agent passes a callback');
  return callback;
}

/** Open a CONNECT tunnel to host:port through the proxy; basic credentials in the proxy URL are sent. */
function openTunnel(proxy: URL, host: string, port: number, callback: ConnectionCallback): void {
  const target = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const headers: http.OutgoingHttpHeaders = { host: target };
  if (proxy.username !== '') {
    const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    headers['proxy-authorization'] = `Basic ${Buffer.from(user).toString('base64')}`;
  }
  const req = http.request({ host: proxy.hostname, port: proxy.port === '' ? 80 : Number(proxy.port), method: 'CONNECT', path: target, headers, agent: false });
  req.once('connect', (res, socket) => {
    if (res.statusCode !== 200) {
      socket.destroy();
      callback(new Error(`the proxy ${proxy.host} (proxy-url) answered HTTP ${res.statusCode ?? 0} to CONNECT ${target}: check that it allows tunnels to the API server`));
      return;
    }
    callback(null, socket);
  });
  req.once('error', (err) => callback(new Error(`the proxy ${proxy.host} (proxy-url) cannot be reached: ${err.message}`)));
  req.end();
}

/**
 * The body of both agents' createConnection: open the tunnel, then hand Node's Agent the stream that
 * `wrap` makes of its socket (TLS for an https server, the socket itself for http).
 */
function connectThrough(proxy: URL, options: http.ClientRequestArgs, callback: AgentCallback | undefined, wrap: (socket: Socket, host: string) => Duplex): undefined {
  const done = needCallback(callback);
  const { host, port } = target(options);
  openTunnel(proxy, host, port, (err, socket) => {
    if (err !== null || socket === undefined) fail(done, err);
    else done(null, wrap(socket, host));
  });
  return undefined;
}

/** An https agent that reaches the API server through the proxy, then speaks TLS inside the tunnel. */
export class TunnelingHttpsAgent extends https.Agent {
  readonly #proxy: URL;

  constructor(proxy: URL, opts: https.AgentOptions) {
    super(opts);
    this.#proxy = proxy;
  }

  /** Node's Agent takes a connection handed to the callback when this returns nothing. */
  override createConnection(options: https.RequestOptions, callback?: AgentCallback): undefined {
    // The agent's TLS settings (the kubeconfig's CA, client certificate, tls-server-name), merged into
    // `options` by the Agent, apply to the API server inside the tunnel.
    return connectThrough(this.#proxy, options, callback, (socket, host) =>
      tls.connect({
        socket,
        servername: options.servername ?? host,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
      }),
    );
  }
}
