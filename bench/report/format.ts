// Number formats shared by the terminal table and the HTML report.

/** Microseconds as milliseconds, with fewer decimals as the value grows. */
export function ms(us: number | null | undefined): string {
  if (us === null || us === undefined || !Number.isFinite(us)) return '-';
  const v = us / 1000;
  if (v < 10) return v.toFixed(2);
  if (v < 100) return v.toFixed(1);
  return Math.round(v).toString();
}

export function int(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function fixed(n: number | null | undefined, digits: number): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n.toFixed(digits);
}

/** A duration in ms as short text: 500ms, 5s, 1.5s. */
export function duration(msValue: number): string {
  return msValue < 1000 ? `${msValue}ms` : `${msValue / 1000}s`;
}

/** A micro-benchmark cell: 1,234,567 for large numbers, 12.3 for small ones, text as it is. */
export function microCell(v: unknown): string {
  if (typeof v !== 'number') return String(v ?? '');
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? int(v) : v.toFixed(1);
}
