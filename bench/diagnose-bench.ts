// Diagnosis benchmark: time of each rule's matcher on a 64 KiB log tail, for a realistic noisy log (no
// match: every line is scanned) and for an adversarial one (long runs of the patterns' own literals).
// Run: node --import tsx bench/diagnose-bench.ts
import { performance } from 'node:perf_hooks';
import { diagnoseReport } from '../src/diagnose/diagnose-report.js';
import { patternsOf, prepareInput, runMatcher } from '../src/diagnose/matchers.js';
import { RULES } from '../src/diagnose/rules/index.js';
import type { DiagnosisInput } from '../src/diagnose/rule.js';
import { printRows, type BenchRow } from './support/bench-row.js';
import { alertReport, failedWithLog } from '../test/unit/diagnose/job-report-builder.js';
import { adversarialLines, noiseLog } from '../test/unit/diagnose/noise-log.js';

const LOG_BYTES = 64 * 1024;
const WARMUP = 30;
const ROUNDS = 200;

function adversarialLog(): string {
  const lines = adversarialLines(RULES.flatMap((r) => patternsOf(r.matcher)).map((p) => p.source), 4096);
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < LOG_BYTES; i++) {
    const line = lines[i % lines.length] ?? '';
    out.push(line);
    size += line.length + 1;
  }
  return out.join('\n').slice(0, LOG_BYTES);
}

/** Median and 95th percentile of `fn`'s time in microseconds (the worst single run mostly measures the shared machine). */
function time(fn: () => unknown): { median: number; p95: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    fn();
    samples.push((performance.now() - start) * 1000);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95) };
}

/** Time every rule on a noisy and an adversarial 64 KiB log; `verbose` prints the per-rule table too. */
export async function diagnoseBench(verbose = false): Promise<BenchRow[]> {
  const noiseJob = failedWithLog(noiseLog(LOG_BYTES));
  const noiseReport = alertReport(noiseJob);
  const inputs: Record<string, DiagnosisInput> = {
    noise: prepareInput(noiseJob),
    adversarial: prepareInput(failedWithLog(adversarialLog())),
  };
  const fmt = (us: number): string => us.toFixed(1).padStart(8);
  const idWidth = Math.max(...RULES.map((r) => r.id.length));
  if (verbose) {
    console.log(`Per-rule matching time on a ${LOG_BYTES / 1024} KiB log tail (µs; median and p95 of ${ROUNDS} runs)`);
    console.log(`${'rule'.padEnd(idWidth)}  ${'noise p50'.padStart(10)} ${'p95'.padStart(8)}  ${'advers. p50'.padStart(12)} ${'p95'.padStart(8)}`);
  }
  let slowest = { id: '', us: 0 };
  for (const rule of RULES) {
    const noise = time(() => runMatcher(rule.matcher, inputs.noise as DiagnosisInput));
    const adversarial = time(() => runMatcher(rule.matcher, inputs.adversarial as DiagnosisInput));
    for (const us of [noise.median, adversarial.median]) if (us > slowest.us) slowest = { id: rule.id, us };
    if (verbose) {
      console.log(`${rule.id.padEnd(idWidth)}  ${fmt(noise.median).padStart(10)} ${fmt(noise.p95)}  ${fmt(adversarial.median).padStart(12)} ${fmt(adversarial.p95)}`);
    }
  }
  const prepare = time(() => prepareInput(noiseJob));
  const whole = time(() => diagnoseReport(noiseReport));
  return [
    { figure: `diagnosis: slowest of ${RULES.length} rules on a 64 KiB log (median)`, value: `${slowest.us.toFixed(1)} µs`, note: `${slowest.id}; goal well under 1 ms per rule` },
    { figure: 'diagnosis: splitting a 64 KiB log into bounded lines', value: `${prepare.median.toFixed(1)} µs`, note: 'median' },
    { figure: `diagnosis: diagnoseReport, all ${RULES.length} rules, 64 KiB of noise`, value: `${whole.median.toFixed(1)} µs`, note: `p95 ${whole.p95.toFixed(1)} µs` },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printRows(await diagnoseBench(true));
}
