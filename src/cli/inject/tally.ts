/** What became of the rows so far: the summary's figures and the progress line's. */
export class Tally {
  readonly byCode = new Map<number, { message: string; rows: number }>();
  rows = 0;
  accepted = 0;
  /** ADD rows answered 112: their external id (given or derived) is already a lead of the campaign */
  alreadyImported = 0;
  /** MODIFY / REALLOCATE rows skipped because an earlier run of this file applied them */
  alreadyApplied = 0;
  rejected = 0;
  readonly startedAt = performance.now();

  count(code: number, message: string, kind: 'accepted' | 'alreadyImported' | 'rejected'): void {
    this.rows += 1;
    this[kind] += 1;
    const entry = this.byCode.get(code);
    if (entry) entry.rows += 1;
    else this.byCode.set(code, { message, rows: 1 });
  }

  skipApplied(): void {
    this.rows += 1;
    this.alreadyApplied += 1;
  }

  seconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  rate(): number {
    const s = this.seconds();
    return s > 0 ? this.rows / s : 0;
  }
}

export const n = (value: number) => Math.round(value).toLocaleString('en-US');

/** "12,000 rows, 11,800 ok, 200 rejected, 1,900 rows/s" (plus the already-imported rows when there are some). */
export function progressLine(tally: Tally, percent?: number): string {
  const parts = [`${n(tally.rows)} rows`, `${n(tally.accepted)} ok`];
  const already = tally.alreadyImported + tally.alreadyApplied;
  if (already > 0) parts.push(`${n(already)} already imported`);
  parts.push(`${n(tally.rejected)} rejected`, `${n(tally.rate())} rows/s`);
  return parts.join(', ') + (percent === undefined ? '' : ` (${percent.toFixed(0)}% of the file)`);
}
