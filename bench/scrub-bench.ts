// Scrubber benchmark: time per 64 KiB log of the scrubber (secretlint's recommended rules + the project's
// rules) and, as the baseline in the same run, of the scrubber before them (bench/support/scrub-baseline.ts),
// on a realistic log and on adversarial inputs built to make a backtracking regex go quadratic.
// Run: node --import tsx bench/scrub-bench.ts
import { performance } from 'node:perf_hooks';
import { createScrubber } from '../src/scrub/scrub.js';
import { createScrubber as createBaselineScrubber } from './support/scrub-baseline.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const LOG_BYTES = 64 * 1024;

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

function fill(unit: string): string {
  return unit.repeat(Math.ceil(LOG_BYTES / unit.length)).slice(0, LOG_BYTES);
}

/** A migration log of about 64 KiB, with a credential URL every 50 lines. */
export function realisticLog(bytes = LOG_BYTES): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i += 1) {
    const line =
      i % 50 === 0
        ? `2026-11-20T14:02:${String(i % 60).padStart(2, '0')}Z connecting to postgres://app:s3cret@db.internal:5432/payments?sslmode=require`
        : `2026-11-20T14:02:${String(i % 60).padStart(2, '0')}Z INFO  [migrate] applying 00${i % 97}_backfill_ledger: batch ${i} rows=1000 took=12ms`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n').slice(0, bytes);
}

function timeMs(scrub: (text: string) => string, text: string): { median: number; p95: number } {
  for (let i = 0; i < 5; i += 1) scrub(text);
  const samples: number[] = [];
  for (let i = 0; i < 40; i += 1) {
    const start = performance.now();
    scrub(text);
    samples.push(performance.now() - start);
  }
  return stats(samples);
}

/** Scrubber time per 64 KiB log in milliseconds, new against the baseline. */
export function scrubBench(): BenchRow[] {
  const scrub = createScrubber(['cust-[0-9]{6}']);
  const baseline = createBaselineScrubber(['cust-[0-9]{6}']);
  const inputs: [string, string][] = [
    ['realistic migration log', realisticLog()],
    ['adversarial: "eyJ-" runs (JWT starts)', fill('eyJ-')],
    ['adversarial: "password" without separator', fill('password')],
    ['adversarial: "password=" repeated', fill('password=')],
    ['adversarial: BEGIN PRIVATE KEY + 64 KiB base64', `-----BEGIN PRIVATE KEY-----\n${fill('QUJD')}`],
    ['adversarial: base64 lines ending in END, no BEGIN', `${fill('QUJDREVGR0hJSktMTU5PUA==\n')}\n-----END PRIVATE KEY-----`],
    ['adversarial: "a://b:" (URL credential starts)', fill('a://b:')],
    ['adversarial: 64 KiB of one word', fill('x')],
    ['adversarial: "bearer " repeated', fill('bearer ')],
    ['adversarial: "a." runs (dotted key prefixes)', fill('a.')],
    ['adversarial: "x.password" runs', fill('x.password')],
    ['adversarial: BEGIN lines repeated', fill('-----BEGIN RSA PRIVATE KEY-----\n')],
    ['adversarial: "authorization: " repeated', fill('authorization: ')],
    ['adversarial: "mysql " repeated', fill('mysql ')],
    ['adversarial: "data:\\n  k: " repeated', fill('data:\n  k: ')],
    ['adversarial: "SG." repeated', fill('SG.')],
    ['adversarial: "xoxb-" repeated', fill('xoxb-')],
    ['adversarial: "a:1:b:c:" (.pgpass starts)', fill('a:1:b:c:')],
  ];
  return inputs.map(([name, text]) => {
    const now = timeMs(scrub, text);
    const before = timeMs(baseline, text);
    return {
      figure: `scrub 64 KiB: ${name}`,
      value: `${now.median.toFixed(2)} ms`,
      note: `p95 ${now.p95.toFixed(2)} ms; baseline (old scrubber) ${before.median.toFixed(2)} ms; goal: realistic < 2 ms, adversarial linear`,
    };
  });
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  printRows(scrubBench());
}
