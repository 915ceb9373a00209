/**
 * A server process for benchmarks, so that the load generator and the server do not share one event loop:
 * `echo` is a bare fastify route that parses and echoes the JSON body (the baseline); `service` is the real
 * argocd-hook-alerts intake on a fresh data dir. Prints "listening <url>" when ready.
 */
import Fastify from 'fastify';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/main.js';

const mode = process.argv[2];
const dataDir = process.argv[3] ?? '';

async function main(): Promise<void> {
  if (mode === 'echo') {
    const app = Fastify({ bodyLimit: 1024 * 1024 });
    app.post('/v1/argocd/events', async (req, reply) => reply.code(202).send(req.body));
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    process.stdout.write(`listening ${url}\n`);
    return;
  }
  if (mode === 'service') {
    const config = loadConfig({
      env: { HOOK_ALERTS_TOKEN: 'bench-token-0123456789', HOOK_ALERTS_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' },
      // Intake alone is measured: the worker would compete for the same two cores with file writes.
      overrides: { worker: { enabled: process.env.BENCH_WORKER === '1' }, logging: { level: 'warn' } },
    });
    const service = await startService(config, createLogger('warn'));
    process.stdout.write(`listening ${service.url}\n`);
    process.once('SIGTERM', () => void service.close().then(() => process.exit(0)));
    return;
  }
  throw new Error(`usage: bench-server.ts echo|service [dataDir]`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
