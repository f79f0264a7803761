// The text formats inside a journey: durations ("3 days"), times of day (HH:MM), dates (MM-DD,
// YYYY-MM-DD). Durations parse in workflows/duration.ts, as the journey engine's do.

export const minuteMs = 60_000;
export const dayMs = 86_400_000;
/** The longest wait, timeout or cooldown a journey may hold; the shortest is a minute. */
export const maxWaitDays = 400;
export const waitBoundsMs = { min: minuteMs, max: maxWaitDays * dayMs };

/** HH:MM on a 24-hour clock, e.g. 09:30 or 20:00. */
export const isTimeOfDay = (value: string): boolean => /^([01]\d|2[0-3]):[0-5]\d$/.test(value);

const daysIn = (month: number, year: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** MM-DD of any year (02-29 allowed: leap-year birthdays exist). */
export function isMonthDay(value: string): boolean {
  const m = /^(\d\d)-(\d\d)$/.exec(value);
  if (!m) return false;
  const [month, day] = [Number(m[1]), Number(m[2])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, 2024);
}

/** A real calendar date, YYYY-MM-DD. */
export function isCalendarDate(value: string): boolean {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(value);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(month, year);
}
