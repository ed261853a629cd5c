/** Small statistics helpers: the report gives medians of repeated measurements. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Spread of the samples around the median, as a fraction of it: (max - min) / 2 / median. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = median(values);
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / 2 / Math.abs(m);
}

/** Nanosecond-resolution stopwatch in milliseconds. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
