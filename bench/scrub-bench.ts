// Scrubber benchmark: time per 64 KiB log of the scrubber (secretlint's recommended rules + the project's
// rules) and, as the baseline in the same run, of the scrubber before them (bench/support/scrub-baseline.ts),
// on a realistic log and on adversarial inputs built to make a backtracking regex go quadratic.
// Run: node --import tsx bench/scrub-bench.ts
import { performance } from 'node:perf_hooks';
import { BUILTIN_RULES, createScrubber, findRedactions } from '../src/scrub/scrub.js';
import { createScrubber as createBaselineScrubber } from './support/scrub-baseline.js';
import { printRows, type BenchRow } from './support/bench-row.js';

const LOG_BYTES = 64 * 1024;

function stats(samples: number[]): { median: number; p95: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

function fill(unit: string, bytes = LOG_BYTES): string {
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
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

function timeMs(scrub: (text: string) => unknown, text: string): { median: number; p95: number } {
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
  const inputs: [string, (bytes: number) => string][] = [
    ['realistic migration log', (n) => realisticLog(n)],
    ['adversarial: "eyJ-" runs (JWT starts)', (n) => fill('eyJ-', n)],
    ['adversarial: "password" without separator', (n) => fill('password', n)],
    ['adversarial: "password=" repeated', (n) => fill('password=', n)],
    ['adversarial: BEGIN PRIVATE KEY + 64 KiB base64', (n) => `-----BEGIN PRIVATE KEY-----\n${fill('QUJD', n)}`],
    ['adversarial: base64 lines ending in END, no BEGIN', (n) => `${fill('QUJDREVGR0hJSktMTU5PUA==\n', n)}\n-----END PRIVATE KEY-----`],
    ['adversarial: "a://b:" (URL credential starts)', (n) => fill('a://b:', n)],
    ['adversarial: 64 KiB of one word', (n) => fill('x', n)],
    ['adversarial: "bearer " repeated', (n) => fill('bearer ', n)],
    ['adversarial: "a." runs (dotted key prefixes)', (n) => fill('a.', n)],
    ['adversarial: "x.password" runs', (n) => fill('x.password', n)],
    ['adversarial: BEGIN lines repeated', (n) => fill('-----BEGIN RSA PRIVATE KEY-----\n', n)],
    ['adversarial: "authorization: " repeated', (n) => fill('authorization: ', n)],
    ['adversarial: "mysql " repeated', (n) => fill('mysql ', n)],
    ['adversarial: "mysql -p -p " (flags without a value)', (n) => fill('mysql -p -p ', n)],
    ['adversarial: "data:\\n  k: " repeated', (n) => fill('data:\n  k: ', n)],
    ['adversarial: "SG." repeated', (n) => fill('SG.', n)],
    ['adversarial: "xoxb-" repeated', (n) => fill('xoxb-', n)],
    ['adversarial: "a:1:b:c:" (.pgpass starts)', (n) => fill('a:1:b:c:', n)],
  ];
  return inputs.map(([name, make]) => {
    const text = make(LOG_BYTES);
    const now = timeMs(scrub, text);
    const before = timeMs(baseline, text);
    // Linear time: twice the input should take about twice as long (a quadratic rule shows 4 and more).
    const doubled = timeMs(scrub, make(2 * LOG_BYTES));
    return {
      figure: `scrub 64 KiB: ${name}`,
      value: `${now.median.toFixed(2)} ms`,
      note: `p95 ${now.p95.toFixed(2)} ms; baseline (old scrubber) ${before.median.toFixed(2)} ms; 128 KiB / 64 KiB ${(doubled.median / now.median).toFixed(1)}x; goal: realistic < 2 ms, adversarial linear`,
    };
  });
}

/**
 * Where the time goes: the 10 costliest built-in rules on one input, each run alone as the scrubber runs it
 * (skipped when its keywords are absent, else on the lines that have them).
 */
export function ruleCostRows(name: string, text: string): BenchRow[] {
  const costs = BUILTIN_RULES.map((rule) => ({ id: rule.id, ms: timeMs(() => findRedactions([rule], text), text).median }));
  const total = costs.reduce((sum, c) => sum + c.ms, 0);
  return costs
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10)
    .map((c) => ({
      figure: `rule cost on ${name}: ${c.id}`,
      value: `${c.ms.toFixed(3)} ms`,
      note: `${((100 * c.ms) / total).toFixed(0)}% of the ${BUILTIN_RULES.length} rules' ${total.toFixed(2)} ms run one by one`,
    }));
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  printRows(scrubBench());
  printRows(ruleCostRows('realistic 64 KiB log', realisticLog()));
}
