// Numbers, rates and times in the chosen language.
import i18n from './i18n';

export const num = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined ? '—' : new Intl.NumberFormat(i18n.language, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n);

export const pct = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? '—' : new Intl.NumberFormat(i18n.language, { style: 'percent', maximumFractionDigits: 1 }).format(rate);

export const dateTime = (iso: string | null | undefined): string =>
  iso ? new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '—';

/** YYYY-MM-DD of a day `offset` days from today (UTC, as the reports count days). */
export function isoDay(offset = 0, from = new Date()): string {
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + offset));
  return d.toISOString().slice(0, 10);
}

export const nextDay = (day: string): string => isoDay(1, new Date(`${day}T00:00:00Z`));

const units: Record<string, string> = { ms: 'ms', s: 'second', second: 'second', seconds: 'second', m: 'minute', minute: 'minute', minutes: 'minute',
  h: 'hour', hour: 'hour', hours: 'hour', d: 'day', day: 'day', days: 'day', w: 'week', week: 'week', weeks: 'week' };

/** A duration as the API writes it ("3 days", "12h") in the chosen language; anything else as it is. */
export function duration(value: string | null | undefined): string {
  if (!value) return '—';
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(value.trim());
  const unit = m && units[m[2]!.toLowerCase()];
  return unit ? i18n.t(`units.${unit}`, { count: Number(m[1]) }) : value;
}
