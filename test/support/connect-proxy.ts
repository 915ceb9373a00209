import { connect, type AddressInfo, type Socket } from 'node:net';
import { createServer, type IncomingMessage } from 'node:http';

/** A forward proxy that only tunnels (CONNECT), as corporate egress proxies do; it records each target and Proxy-Authorization. */
export async function startConnectProxy(t: { teardown(fn: () => unknown): void }): Promise<{ url: string; targets: string[]; authorizations: (string | null)[] }> {
  const targets: string[] = [];
  const authorizations: (string | null)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405).end('this proxy only tunnels (CONNECT)');
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    targets.push(target);
    authorizations.push(req.headers['proxy-authorization'] ?? null);
    const [host = '', port = ''] = target.split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, targets, authorizations };
}
