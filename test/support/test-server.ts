/**
 * The one shape of the protocol test servers (Kubernetes, Slack, SMTP): `const server = await
 * XServer.start(opts)` listens on 127.0.0.1 port 0, and `t.teardown(() => server.close())` ends it.
 */
export interface TestServer {
  /** Stop listening and drop every connection, held answers included; the server is not reused. */
  close(): Promise<void>;
}
