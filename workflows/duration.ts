// Durations as Closedloop writes them ("3 days", "12h", "30 minutes"): one parser for the API's
// checks, the configuration, the worker and the workflows' engines. `ms` parses, as Temporal's own
// timers do, so a duration means the same everywhere. Pure: workflow code imports it.
import ms, { type StringValue } from 'ms';

/** Milliseconds of a duration with a unit ("3 days", "12h", "30m"), or undefined when the text is not one. */
export function durationMs(value: string): number | undefined {
  if (value.length > 64 || !/[a-z]\s*$/i.test(value)) return undefined;
  const n = ms(value as StringValue);
  return Number.isFinite(n) ? n : undefined;
}

/** Milliseconds of a duration that was checked on its way in (by the API's or the configuration's schema). */
export function toMs(value: string): number {
  const n = ms(value as StringValue);
  if (n == null || Number.isNaN(n)) throw new TypeError(`Invalid duration string: '${value}'`);
  return n;
}
