/** One printed benchmark figure. */
export interface BenchRow {
  figure: string;
  value: string;
  /** Baseline, ratio and goal, in words. */
  note: string;
}

/** Print rows as a table (what `npm run bench` shows). */
export function printRows(rows: BenchRow[]): void {
  console.table(rows);
}
