/** Small helpers of the benchmarks: order statistics and aligned text tables. */

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);
export const p90 = (xs: readonly number[]): number => quantile(xs, 0.9);

/** Linear interpolation between closest ranks (the usual definition; median of an even count is the mean of the middle two). */
export const quantile = (xs: readonly number[], q: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (s[lo] as number) + ((s[hi] as number) - (s[lo] as number)) * (pos - lo);
};

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export const summarize = (xs: readonly number[]): Summary => ({
  n: xs.length,
  median: round(median(xs)),
  p90: round(p90(xs)),
  min: round(Math.min(...xs)),
  max: round(Math.max(...xs)),
});

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
export const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
export const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

export type Align = 'left' | 'right';

/** An aligned table: a title, a one-line legend, a header row and rows; numbers align right. */
export const table = (title: string, legend: string, header: string[], rows: (string | number)[][], align?: Align[]): string => {
  const cells = rows.map((r) => r.map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const alignOf = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (r: string[]) =>
    r
      .map((c, i) => (alignOf(i) === 'left' ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [``, `■ ${title}`, `  ${legend}`, `  ${line(header)}`, `  ${rule}`, ...cells.map((r) => `  ${line(r)}`)].join('\n');
};
