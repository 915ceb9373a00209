/** Settings of the persisted retry schedule (config `worker.retry`). */
export interface BackoffSettings {
  initialDelayMs: number;
  maxDelayMs: number;
  factor: number;
}

// ±20 % "equal jitter": spreads retries of many deliveries that failed together (a Slack outage) without
// letting one retry come much sooner than its schedule.
const JITTER_RATIO = 0.2;

/** Delay before attempt `attempt + 1`: exponential from initialDelayMs, capped, with jitter. */
export function nextRetryDelayMs(attempt: number, s: BackoffSettings, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const base = Math.min(s.maxDelayMs, s.initialDelayMs * Math.pow(s.factor, exponent));
  const jitter = base * JITTER_RATIO * (2 * random() - 1);
  return Math.max(0, Math.round(base + jitter));
}
