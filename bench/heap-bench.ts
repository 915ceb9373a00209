/**
 * Leak check on the JS heap: the heap in use after a full GC, after each of five rounds of alerts through
 * the whole pipeline (bench/support/heap-probe.ts in a child with --expose-gc). RSS moves with the
 * allocator; the heap after GC is what a leak grows.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printRows, type BenchRow } from './support/bench-row.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Run the heap probe and return printable rows. */
export async function heapBench(): Promise<BenchRow[]> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/support/heap-probe.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`heap probe exited with ${code}`);
  const rounds = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { alerts: number; heapUsedMiB: number });
  const first = rounds[0];
  const last = rounds.at(-1);
  if (first === undefined || last === undefined) throw new Error('heap probe printed nothing');
  return [
    {
      figure: `soak: JS heap after full GC, after ${rounds.map((r) => r.alerts).join(' / ')} alerts`,
      value: rounds.map((r) => r.heapUsedMiB.toFixed(1)).join(' / ') + ' MiB',
      note: `${(last.heapUsedMiB - first.heapUsedMiB).toFixed(1)} MiB from the first round to the last; flat means no leak`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await heapBench());
}
