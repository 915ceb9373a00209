/**
 * Start-up to ready: spawn the built CLI (`serve`) on a fresh data dir and time until GET /readyz answers
 * 200, against a bare `node` HTTP server started the same way (the baseline). Goal (issue 8): < 1 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printRows, type BenchRow } from './support/bench-row.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RUNS = 5;
const BARE = "require('node:http').createServer((q,s)=>s.end('ok')).listen(Number(process.env.PORT),'127.0.0.1')";

async function timeToReady(args: string[], port: number, path: string, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore' });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.ok, () => false);
      if (ok) return performance.now() - started;
      if (performance.now() - started > 20_000) throw new Error(`${args.join(' ')} not ready after 20 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** Run the start-up benchmark and return printable rows. */
export async function startupBench(): Promise<BenchRow[]> {
  const bare: number[] = [];
  const service: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'hook-alerts-startup-'));
    bare.push(await timeToReady(['-e', BARE], 18_400 + i, '/', {}));
    service.push(
      await timeToReady(['dist/src/cli.js', 'serve'], 18_500 + i, '/readyz', {
        HOOK_ALERTS_TOKEN: 'startup-bench-token-0123',
        HOOK_ALERTS_DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        // No KUBECONFIG and a HOME without ~/.kube: the embedded default on a machine without a cluster.
        HOME: dataDir,
        LOG_LEVEL: 'warn',
      }),
    );
    rmSync(dataDir, { recursive: true, force: true });
  }
  const b = median(bare);
  const s = median(service);
  return [
    { figure: 'start-up to ready: bare node http server (median of 5)', value: `${b.toFixed(0)} ms`, note: 'baseline' },
    { figure: 'start-up to ready: serve, /readyz 200 (median of 5)', value: `${s.toFixed(0)} ms`, note: `${(s / b).toFixed(1)}x the baseline; goal < 1000 ms` },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await startupBench());
}
