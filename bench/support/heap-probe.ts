/**
 * Runs the service in this process (file sink, no cluster), sends rounds of alerts, waits until each round
 * is delivered, forces a full GC and prints the JS heap in use: one JSON line per round. Needs --expose-gc.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logger.js';
import { startService } from '../../src/main.js';
import { failedBodyForOperation } from '../../test/support/contract-bodies.js';

const ROUNDS = 5;
const PER_ROUND = Number(process.env.HEAP_ALERTS_PER_ROUND ?? 3_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const dir = mkdtempSync(join(tmpdir(), 'hook-alerts-heap-'));
const token = 'heap-probe-token-0123456789';
const config = loadConfig({
  env: { HOOK_ALERTS_TOKEN: token, HOOK_ALERTS_DATA_DIR: dir, HOST: '127.0.0.1', PORT: '0', HOME: dir },
  overrides: { logging: { level: 'error' } },
});
const service = await startService(config, createLogger('error'));
let next = 0;
for (let round = 0; round < ROUNDS; round++) {
  const end = next + PER_ROUND;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < end) {
        const i = next++;
        const res = await fetch(`${service.url}/v1/argocd/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(failedBodyForOperation(i, `heap-app-${i % 50}`)),
        });
        await res.arrayBuffer();
      }
    }),
  );
  for (;;) {
    const depth = await service.store.queueDepth();
    if (depth.events + depth.deliveries === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  gc();
  gc();
  process.stdout.write(`${JSON.stringify({ alerts: next, heapUsedMiB: process.memoryUsage().heapUsed / 1048576 })}\n`);
}
await service.close();
rmSync(dir, { recursive: true, force: true });
