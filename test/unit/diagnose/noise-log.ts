// A log that looks like a busy migration Job's but holds no failure: the "no finding on unrelated noise"
// test and bench/diagnose-bench.ts both use it.

const TEMPLATES: readonly ((i: number) => string)[] = [
  (i) => `2024-03-04T09:41:${String(i % 60).padStart(2, '0')}.${i % 1000}Z INFO  [main] o.f.c.i.c.DbMigrate - Migrating schema "public" to version "${i % 90}.${i % 7} - add column ${i}"`,
  (i) => `{"level":"info","ts":${1709545270 + i},"caller":"migrate/main.go:${i % 400}","msg":"applied","version":${i},"duration":"${i % 97}ms"}`,
  (i) => `10.42.${i % 255}.${(i * 7) % 255} - - [04/Mar/2024:09:41:${String(i % 60).padStart(2, '0')} +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29"`,
  (i) => `INFO  [alembic.runtime.migration] Running upgrade ${(i * 2654435761 % 0xffffffffff).toString(16)} -> ${((i + 1) * 2654435761 % 0xffffffffff).toString(16)}, backfill batch ${i}`,
  (i) => `== ${20240101000000 + i} AddIndexToInvoices${i}: migrated (0.${String(i % 1000).padStart(4, '0')}s) ==========================`,
  (i) => `  Applying billing.${String(i % 9999).padStart(4, '0')}_invoice_field_${i}... OK`,
  (i) => `NOTICE:  relation "invoices_${i}" already exists, skipping`,
  (i) => `DEBUG liquibase: Computed checksum for ${1550333072250 + i} as ${((i * 40503) >>> 0).toString(16).padStart(8, '0')}dfbb898379fa36298f7b2179a`,
  (i) => `Successfully validated ${i % 50} migrations (execution time 00:00.0${i % 90}s)`,
  (i) => `UPDATE invoices SET status = 'open' WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999}; -- ${i % 1000} rows`,
  (i) => `    at com.acme.payments.migration.Backfill${i % 13}.run(Backfill${i % 13}.java:${i % 300})`,
  (i) => `pool: ${i % 10} connections active, ${i % 4} idle, 0 waiting (connect timeout 10s)`,
];

/** About `bytes` of benign log lines (default 64 KiB), deterministic. */
export function noiseLog(bytes = 64 * 1024): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const template = TEMPLATES[i % TEMPLATES.length];
    if (template === undefined) break;
    const line = template(i);
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n').slice(0, bytes);
}

/** Lines built to make a backtracking matcher work hard: long runs of each pattern's own literals. */
export function adversarialLines(sources: readonly string[], bytes = 64 * 1024): string[] {
  const fillers = ['a', ' ', '"', "'", '0', ':', '/', '.', '`'];
  const lines = fillers.map((f) => f.repeat(bytes));
  for (const source of sources) {
    const literal = /[A-Za-z][A-Za-z' ]{5,}/.exec(source.replace(/\\./g, ' '))?.[0];
    if (literal === undefined) continue;
    const unit = `${literal}"`;
    lines.push(unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes));
  }
  return lines;
}
