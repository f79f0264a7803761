// The date range every report on every page reads, chosen once in the header of the page.
import { createContext, useContext, useState, type ReactNode } from 'react';
import { isoDay, nextDay } from './format';

/** Days as YYYY-MM-DD, both included; the API's `to` is the day after `last` (not counted). */
export interface DayRange { first: string; last: string }

const RangeContext = createContext<{ range: DayRange; setRange: (r: DayRange) => void } | undefined>(undefined);

export function RangeProvider({ children }: { children: ReactNode }) {
  const [range, setRange] = useState<DayRange>({ first: isoDay(-29), last: isoDay(0) });
  return <RangeContext.Provider value={{ range, setRange }}>{children}</RangeContext.Provider>;
}

export function useRange(): { range: DayRange; setRange: (r: DayRange) => void; query: { from: string; to: string } } {
  const ctx = useContext(RangeContext);
  if (!ctx) throw new Error('useRange outside RangeProvider');
  return { ...ctx, query: { from: ctx.range.first, to: nextDay(ctx.range.last) } };
}
