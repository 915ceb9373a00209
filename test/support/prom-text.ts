/**
 * Read one metric from Prometheus text exposition (what GET /metrics and `registry.metrics()` return): the
 * sum of the samples named `name` whose labels include `labels`; 0 when none matches (a counter that was
 * never incremented is not printed with those labels).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (sample === null || sample[1] !== name) continue;
    const found = new Map<string, string>();
    for (const m of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found.set(m[1] ?? '', m[2] ?? '');
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) sum += Number(sample[3]);
  }
  return sum;
}

/** Like `metricValue`, but null when no sample has these labels: for "the series exists, at 0". */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const wanted = Object.entries(labels);
  const exists = text.split('\n').some((line) => {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    return sample?.[1] === name && wanted.every(([k, v]) => (sample[2] ?? '').includes(`${k}="${v}"`));
  });
  return exists ? metricValue(text, name, labels) : null;
}
