/**
 * Small statistics and formatting helpers for the benchmark script. Times are nanosecond bigints until
 * they are summarised; anything that turns them into floats says so in its name.
 */

/** The value below which `p` percent of the samples lie (nearest-rank method; samples need not be sorted). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function nanosToMillisLossy(ns: bigint | number): number {
  return Number(ns) / 1e6;
}

export function nanosToSecondsLossy(ns: bigint | number): number {
  return Number(ns) / 1e9;
}

/** 123456.7 -> "123,457" (thousands separators, no decimals). */
export function thousands(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d,.]+( \S+)?$|^n\/a$/.test(r[i] ?? '')));
  const line = (cells: readonly string[], isHeader: boolean) =>
    cells
      .map((c, i) => (numeric[i] && !isHeader ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header, true), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r, false))].map((l) => '  ' + l).join('\n');
}

/** A message size as people say it: '64 B', '4 KiB'. */
export function sizeLabel(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** Bytes per second in MB/s, with a decimal below 100 MB/s. */
export function megabytesPerSecond(bytesPerSecond: number): string {
  return (bytesPerSecond >= 100e6 ? thousands(bytesPerSecond / 1e6) : fixed(bytesPerSecond / 1e6, 1)) + ' MB/s';
}

/** Nanoseconds as microseconds with one decimal. */
export function micros(ns: number): string {
  return fixed(ns / 1000, 1) + ' µs';
}

/** The median of repeated runs with their range: 'median X, min Y, max Z (spread N %)'. */
export function spread(values: readonly number[], format: (v: number) => string, spreadOf = ''): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return 'n/a';
  const m = median(finite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return `median ${format(m)}, min ${format(lo)}, max ${format(hi)} (spread ${fixed(((hi - lo) / m) * 100, 0)} %${spreadOf})`;
}
