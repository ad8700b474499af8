import { describe, expect, it } from 'vitest';
import { mergeResults, type KeptResult, type PartRun, type ResultsFile } from '../../bench/result.js';

const machine = { cpus: 2, memoryGiB: 24, node: 'v20' };
const partRun = (at: string, failed = false): PartRun => ({ at, seconds: 1, loadAverageAtStart: [0.1, 0.1, 0.1], loadAverageAtEnd: [0.2, 0.2, 0.2], failed });
const figure = (part: string, name: string, at: string, value: number): KeptResult => ({
  part,
  at,
  name,
  value,
  unit: 'inserts/s',
  reference: 'ref',
  ratio: 1,
  target: '≥ 1',
  pass: true,
});

const earlier: ResultsFile = {
  updated: 'T1',
  machine,
  parts: { single: partRun('T1'), batch: partRun('T1') },
  results: [figure('single', 'single insert', 'T1', 100), figure('batch', 'batch insert', 'T1', 200)],
};

describe('bench results kept per part (bench/results/latest.json)', () => {
  it('a part that ran replaces its own figures and leaves the other parts’ figures with their dates', () => {
    const merged = mergeResults(earlier, { machine, parts: { single: partRun('T2') }, results: [figure('single', 'single insert', 'T2', 150)] });
    expect(merged.results).toEqual([figure('batch', 'batch insert', 'T1', 200), figure('single', 'single insert', 'T2', 150)]);
    expect(merged.parts).toEqual({ batch: partRun('T1'), single: partRun('T2') });
  });

  it('a part that failed leaves none of its earlier figures, so no stale figure passes for a current one', () => {
    const merged = mergeResults(earlier, { machine, parts: { batch: partRun('T2', true) }, results: [] });
    expect(merged.results.map((r) => r.name)).toEqual(['single insert']);
    expect(merged.parts.batch?.failed).toBe(true);
  });

  it('figures without a part (a file from before figures were kept per part) are dropped', () => {
    const old = { ...earlier, results: [{ ...figure('single', 'single insert', 'T1', 100), part: undefined as unknown as string }] };
    const merged = mergeResults(old, { machine, parts: { batch: partRun('T2') }, results: [figure('batch', 'batch insert', 'T2', 210)] });
    expect(merged.results.map((r) => `${r.part}:${r.value}`)).toEqual(['batch:210']);
  });

  it('a part entry that is not a run record (an older file layout) is dropped with its figures', () => {
    const old = { ...earlier, parts: { ...earlier.parts, 0: 'single' as unknown as PartRun } };
    const merged = mergeResults(old, { machine, parts: { batch: partRun('T2') }, results: [] });
    expect(Object.keys(merged.parts).sort()).toEqual(['batch', 'single']);
  });

  it('starts a file when there is none', () => {
    const merged = mergeResults(undefined, { machine, parts: { single: partRun('T2') }, results: [figure('single', 'single insert', 'T2', 150)] });
    expect(merged.results).toHaveLength(1);
    expect(Object.keys(merged.parts)).toEqual(['single']);
  });
});
