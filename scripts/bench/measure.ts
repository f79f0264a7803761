// The small arithmetic every benchmark script prints with: rounding, quantiles, the machine's load.
import { readFileSync } from 'node:fs';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;
/** Milliseconds as seconds, to the hundredth. */
export const seconds = (ms: number): number => round(ms / 1000, 2);
/** The 1-, 5- and 15-minute load averages, to print beside every rate (the machine is shared). */
export const loadAverage = (): number[] => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);

/** The nearest-rank percentile of an ascending list (NaN for none). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Latency-style figures: the tail (p95, p99) and the mean. */
export function stats(values: number[]): { n: number; p50: number; p95: number; p99: number; max: number; mean: number } {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, p50: round(percentile(s, 50)), p95: round(percentile(s, 95)), p99: round(percentile(s, 99)), max: round(s.at(-1) ?? NaN), mean: round(mean) };
}

/** Spread-style figures: the first and last tenths around the median (null for none). */
export function spread(values: number[]): { n: number; p10: number | null; p50: number | null; p90: number | null; max: number | null } {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => (s.length ? round(percentile(s, p)) : null);
  return { n: s.length, p10: q(10), p50: q(50), p90: q(90), max: q(100) };
}
