// A deep copy of JSON data, the same as JSON.parse(JSON.stringify(value)) gives (keys whose value
// is undefined dropped, undefined in arrays and non-finite numbers as null, -0 as 0), without
// the text in between: the engine copies the customer's state on every pass.
export function jsonCopy<T>(value: T): T {
  return copy(value) as T;
}

function copy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number') return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    return v;
  }
  if (Array.isArray(v)) return v.map((item) => (item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : copy(item)));
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.parse(JSON.stringify(v)) as unknown;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    const item = (v as Record<string, unknown>)[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    // As JSON.parse does: an own property, never the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy(item), enumerable: true, writable: true, configurable: true });
    else out[key] = copy(item);
  }
  return out;
}
