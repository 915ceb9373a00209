/**
 * Slow clients against the built service (issue 15 item 7), each service under `ulimit -n 1024` (a common
 * container default) and the image's runtime settings: 4,000 sockets that send full headers with a wrong
 * token and then trickle a body at 1 byte per 10 s, and 1,500 that trickle their headers (the classic
 * slowloris, no token needed). After the configured timeouts have passed, it counts the sockets still open
 * and asks /healthz. The baseline is the same build with every limit off (timeouts 0, no connection cap),
 * measured in the same run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageRuntimeEnv } from '../test/support/image-runtime.js';
import { BENCH_TOKEN } from './support/spawn-server.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BODY_TRICKLERS = 4_000;
const HEADER_TRICKLERS = 1_500;
const TRICKLE_EVERY_MS = 10_000;
const FD_LIMIT = 1024;
const LIMITS = { headersTimeoutMs: 3_000, requestTimeoutMs: 5_000, connectionTimeoutMs: 10_000, maxConnections: 900 };
const LIMITS_OFF = { headersTimeoutMs: 0, requestTimeoutMs: 0, connectionTimeoutMs: 0, maxConnections: 0 };
// Wait this long after opening the sockets: past every limit above, with room for a loaded machine.
const SETTLE_MS = LIMITS.requestTimeoutMs + 5_000;

interface Service {
  url: string;
  port: number;
  stop: () => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

async function startService(dir: string, server: Record<string, number>): Promise<Service> {
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `server:\n${Object.entries(server).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
  const port = await freePort();
  const child = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" dist/src/cli.js serve`, process.execPath], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOOK_ALERTS_TOKEN: BENCH_TOKEN,
      HOOK_ALERTS_DATA_DIR: dir,
      HOOK_ALERTS_CONFIG: configFile,
      HOST: '127.0.0.1',
      PORT: String(port),
      HOME: dir,
      LOG_LEVEL: 'warn',
      ...imageRuntimeEnv(),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; !(await healthy(url)); i++) {
    if (i > 300 || child.exitCode !== null) throw new Error('the service did not answer /healthz within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return { url, port, stop };
}

async function healthy(url: string): Promise<boolean> {
  return fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3_000) }).then((r) => r.ok, () => false);
}

interface Trickler {
  socket: Socket;
  open: boolean;
  /** Settles once the socket connected (and sent its first bytes) or failed to. */
  settled: Promise<void>;
}

function openTrickler(port: number, first: string): Trickler {
  const socket = connect({ host: '127.0.0.1', port });
  const t: Trickler = { socket, open: true, settled: Promise.resolve() };
  socket.on('error', () => undefined);
  // Read (and drop) what the server answers: a paused socket never sees the server's FIN, and would count as open.
  socket.resume();
  t.settled = new Promise((resolve) => {
    socket.once('close', () => {
      t.open = false;
      resolve();
    });
    socket.once('connect', () => {
      socket.write(first);
      resolve();
    });
  });
  return t;
}

/** Open `count` sockets in batches, each batch connected before the next: a burst would only overflow the accept backlog. */
async function openMany(port: number, count: number, first: string): Promise<Trickler[]> {
  const all: Trickler[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, () => openTrickler(port, first));
    await Promise.race([Promise.all(batch.map((t) => t.settled)), new Promise((r) => setTimeout(r, 5_000))]);
    all.push(...batch);
  }
  return all;
}

/** Sockets the server holds: connected and not closed (a socket still waiting to connect is not held). */
function held(tricklers: readonly Trickler[]): number {
  return tricklers.filter((t) => t.open && !t.socket.connecting).length;
}

async function attack(service: Service): Promise<{ bodyOpen: number; headerOpen: number; healthz: boolean }> {
  const head = [
    'POST /v1/argocd/events HTTP/1.1',
    'Host: 127.0.0.1',
    'Authorization: Bearer not-the-token-0123456789',
    'Content-Type: application/json',
    'Content-Length: 100000',
    '',
    '{',
  ].join('\r\n');
  const body = await openMany(service.port, BODY_TRICKLERS, head);
  const headers = await openMany(service.port, HEADER_TRICKLERS, 'POST /v1/argocd/events HTTP/1.1\r\n');
  const trickle = setInterval(() => {
    for (const t of body) if (t.open && !t.socket.connecting) t.socket.write(' ');
    for (const t of headers) if (t.open && !t.socket.connecting) t.socket.write('X-Slow: 1\r\n');
  }, TRICKLE_EVERY_MS);
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const result = {
    bodyOpen: held(body),
    headerOpen: held(headers),
    healthz: await healthy(service.url),
  };
  clearInterval(trickle);
  for (const t of [...body, ...headers]) t.socket.destroy();
  return result;
}

async function measure(server: Record<string, number>): Promise<{ bodyOpen: number; headerOpen: number; healthz: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'slowloris-bench-'));
  const service = await startService(dir, server);
  try {
    return await attack(service);
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run the slow-client benchmark and return printable rows. */
export async function slowlorisBench(): Promise<BenchRow[]> {
  const limited = await measure(LIMITS);
  const off = await measure(LIMITS_OFF);
  const after = `after ${SETTLE_MS / 1000} s, ulimit -n ${FD_LIMIT}`;
  return [
    {
      figure: `${BODY_TRICKLERS} wrong-token sockets trickling a body: still open ${after}`,
      value: String(limited.bodyOpen),
      note: `limits off: ${off.bodyOpen} (the 401 closes them either way); goal 0`,
    },
    {
      figure: `${HEADER_TRICKLERS} sockets trickling headers: still open ${after}`,
      value: String(limited.headerOpen),
      note: `limits off: ${off.headerOpen}; goal 0`,
    },
    {
      figure: '/healthz answers under the attack',
      value: limited.healthz ? 'yes' : 'no',
      note: `limits off: ${off.healthz ? 'yes' : 'no'}; limits: ${JSON.stringify(LIMITS)}`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printRows(await slowlorisBench());
