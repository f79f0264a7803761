// Report ranges split into whole UTC days (read from stored figures) and the parts of a day at the edges.
import { describe, expect, it } from 'vitest';
import { dayRanges, splitRange } from '../../store/report-days.js';

const at = (iso: string) => new Date(iso);
const iso = (r: { from: Date; to: Date }) => ({ from: r.from.toISOString(), to: r.to.toISOString() });

describe('splitRange', () => {
  it('whole days from midnight to midnight, no edges', () => {
    expect(splitRange({ from: at('2026-03-01T00:00:00Z'), to: at('2026-03-04T00:00:00Z') })).toEqual({ days: ['2026-03-01', '2026-03-02', '2026-03-03'], edges: [] });
  });

  it('parts of a day at either edge, counted apart', () => {
    const { days, edges } = splitRange({ from: at('2026-03-01T07:30:00Z'), to: at('2026-03-04T03:00:00Z') });
    expect(days).toEqual(['2026-03-02', '2026-03-03']);
    expect(edges.map(iso)).toEqual([
      { from: '2026-03-01T07:30:00.000Z', to: '2026-03-02T00:00:00.000Z' },
      { from: '2026-03-04T00:00:00.000Z', to: '2026-03-04T03:00:00.000Z' },
    ]);
  });

  it('a range inside one day, or across one midnight only, has no whole day', () => {
    expect(splitRange({ from: at('2026-03-01T01:00:00Z'), to: at('2026-03-01T02:00:00Z') }).days).toEqual([]);
    const across = splitRange({ from: at('2026-03-01T22:00:00Z'), to: at('2026-03-02T02:00:00Z') });
    expect(across.days).toEqual([]);
    expect(across.edges.map(iso)).toEqual([{ from: '2026-03-01T22:00:00.000Z', to: '2026-03-02T02:00:00.000Z' }]);
  });

  it('an offset instant is a UTC instant', () => {
    expect(splitRange({ from: at('2026-03-02T00:00:00+08:00'), to: at('2026-03-03T08:00:00+08:00') })).toMatchObject({ days: ['2026-03-02'] });
  });
});

describe('dayRanges', () => {
  it('joins neighbouring days, in order, once each', () => {
    expect(dayRanges(['2026-03-05', '2026-03-01', '2026-03-02', '2026-03-02']).map(iso)).toEqual([
      { from: '2026-03-01T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z' },
      { from: '2026-03-05T00:00:00.000Z', to: '2026-03-06T00:00:00.000Z' },
    ]);
  });
});
