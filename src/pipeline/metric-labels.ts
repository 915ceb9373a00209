import type { Metrics } from '../metrics.js';
import type { SinkName } from '../model/sink.js';
import { MISSING_WHATS } from '../enrich/job-hook-gaps.js';
import { RULES } from '../diagnose/rules/index.js';
import { packageVersion } from '../package-files.js';

/** Every series an alert rule reads, at 0 from the start, with the label values known here (each thread's registry). */
export function startMetricsAtZero(metrics: Metrics, sinkNames: Iterable<SinkName>): void {
  metrics.startAtZero({ version: packageVersion(), sinks: [...sinkNames], missing: [...MISSING_WHATS, 'all'], findingIds: RULES.map((r) => r.id) });
}
