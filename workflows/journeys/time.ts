// Local time in a customer's time zone, with the JS engine's own Intl (no Node modules).
const dayMs = 86_400_000;

interface LocalParts { year: number; month: number; day: number; hour: number; minute: number }

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try { formatter(timeZone); return true; } catch { return false; }
}

export function localParts(at: number, timeZone: string): LocalParts {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(at).map((p) => [p.type, p.value]));
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour! % 24, minute: +parts.minute! };
}

/** The instant when it is `hour:minute` on that local date in `timeZone`. */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  // Two corrections settle the offset, including across a DST change.
  let at = guess;
  for (let i = 0; i < 2; i++) {
    const p = localParts(at, timeZone);
    at += guess - Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  }
  return at;
}

const hm = (time: string): [number, number] => time.split(':').map(Number) as [number, number];

/** The next moment (strictly after `now`, or now if exactly) that reads `time` locally; on `date` if given. */
export function nextLocalTime(now: number, timeZone: string, time: string, date?: string): number {
  const [hour, minute] = hm(time);
  if (date) {
    const [y, m, d] = date.split('-').map(Number) as [number, number, number];
    return Math.max(now, zonedInstant(y, m, d, hour, minute, timeZone));
  }
  const today = localParts(now, timeZone);
  const at = zonedInstant(today.year, today.month, today.day, hour, minute, timeZone);
  return at >= now ? at : zonedInstant(...ymd(at + dayMs, timeZone), hour, minute, timeZone);
}

const ymd = (at: number, timeZone: string): [number, number, number] => {
  const p = localParts(at, timeZone);
  return [p.year, p.month, p.day];
};

/** The next yearly occurrence of `MM-DD` (from MM-DD or YYYY-MM-DD) at `time` local, at or after `from`. */
export function nextAnnual(from: number, timeZone: string, date: string, time = '09:00'): number {
  const [month, day] = date.slice(-5).split('-').map(Number) as [number, number];
  const [hour, minute] = hm(time);
  const { year } = localParts(from, timeZone);
  for (const y of [year, year + 1, year + 2, year + 3, year + 4]) {
    // 29 February in a common year falls on 28 February.
    const d = month === 2 && day === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 28 : day;
    const at = zonedInstant(y, month, d, hour, minute, timeZone);
    if (at >= from) return at;
  }
  return Number.POSITIVE_INFINITY;
}

/** Is local `at` inside the quiet window [start, end) that may wrap midnight? Returns when it ends. */
export function quietUntil(at: number, timeZone: string, start: string, end: string): number | undefined {
  const p = localParts(at, timeZone);
  const minutes = p.hour * 60 + p.minute;
  const [sh, sm] = hm(start);
  const [eh, em] = hm(end);
  const s = sh * 60 + sm;
  const e = eh * 60 + em;
  const inside = s <= e ? minutes >= s && minutes < e : minutes >= s || minutes < e;
  return inside ? nextLocalTime(at, timeZone, end) : undefined;
}
