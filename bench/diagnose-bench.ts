// Diagnosis benchmark: time of each rule's matcher on a 64 KiB log tail, for a realistic noisy log (no
// match: every line is scanned) and for an adversarial one (long runs of the patterns' own literals).
// Run: node --import tsx bench/diagnose-bench.ts
import { performance } from 'node:perf_hooks';
import { diagnoseReport } from '../src/diagnose/diagnose-report.js';
import { patternsOf, prepareInput, runMatcher } from '../src/diagnose/matchers.js';
import { RULES } from '../src/diagnose/rules/index.js';
import type { DiagnosisInput } from '../src/diagnose/rule.js';
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

/** Mean and worst time of `fn` in microseconds. */
function time(fn: () => unknown): { mean: number; max: number } {
  for (let i = 0; i < WARMUP; i++) fn();
  let total = 0;
  let max = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    fn();
    const elapsed = (performance.now() - start) * 1000;
    total += elapsed;
    if (elapsed > max) max = elapsed;
  }
  return { mean: total / ROUNDS, max };
}

const inputs: Record<string, DiagnosisInput> = {
  noise: prepareInput(failedWithLog(noiseLog(LOG_BYTES))),
  adversarial: prepareInput(failedWithLog(adversarialLog())),
};

const fmt = (us: number): string => us.toFixed(1).padStart(8);
const idWidth = Math.max(...RULES.map((r) => r.id.length));
console.log(`Per-rule matching time on a ${LOG_BYTES / 1024} KiB log tail (µs; mean / worst of ${ROUNDS} runs)`);
console.log(`${'rule'.padEnd(idWidth)}  ${'noise mean'.padStart(10)} ${'worst'.padStart(8)}  ${'advers. mean'.padStart(12)} ${'worst'.padStart(8)}`);
let slowest = { id: '', us: 0 };
for (const rule of RULES) {
  const noise = time(() => runMatcher(rule.matcher, inputs.noise as DiagnosisInput));
  const adversarial = time(() => runMatcher(rule.matcher, inputs.adversarial as DiagnosisInput));
  for (const us of [noise.mean, adversarial.mean]) if (us > slowest.us) slowest = { id: rule.id, us };
  console.log(`${rule.id.padEnd(idWidth)}  ${fmt(noise.mean).padStart(10)} ${fmt(noise.max)}  ${fmt(adversarial.mean).padStart(12)} ${fmt(adversarial.max)}`);
}
const prepare = time(() => prepareInput(failedWithLog(noiseLog(LOG_BYTES))));
const whole = time(() => diagnoseReport(alertReport(failedWithLog(noiseLog(LOG_BYTES)))));
console.log('');
console.log(`slowest rule (mean): ${slowest.id} ${slowest.us.toFixed(1)} µs`);
console.log(`building the report and splitting the log: ${prepare.mean.toFixed(1)} µs mean`);
console.log(`diagnoseReport, all ${RULES.length} rules, 64 KiB noise (incl. building the report): ${whole.mean.toFixed(1)} µs mean, ${whole.max.toFixed(1)} µs worst`);
