// The console's only way to the server: the documented API, with the admin key as a bearer token
// (held in sessionStorage: gone when the tab closes; no cookie, so no cross-site request carries it).
const keyItem = 'closedloop.key';

export const session = {
  key: (): string | null => sessionStorage.getItem(keyItem),
  signIn: (key: string): void => sessionStorage.setItem(keyItem, key),
  signOut: (): void => sessionStorage.removeItem(keyItem),
};

/** The API's one error shape, `{ error: { code, message, details[] } }`, as a thrown value. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: { field: string; message: string }[] = []) {
    super(message);
  }
  /** The scope a 403 names (`details[0].message`). */
  get scope(): string | undefined {
    return this.code === 'forbidden' ? this.details.find((d) => d.field === 'scope')?.message : undefined;
  }
}

type Query = Record<string, string | number | undefined>;

export async function api<T>(path: string, options: { method?: string; query?: Query; body?: unknown; key?: string } = {}): Promise<T> {
  const key = options.key ?? session.key();
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const url = params.size ? `${path}?${params}` : path;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url, { method: options.method ?? 'GET', headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), credentials: 'omit' });
  } catch (err) {
    throw new ApiError(0, 'network', (err as Error).message);
  }
  const text = await res.text();
  const body: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string; details?: { field: string; message: string }[] } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, error?.message ?? res.statusText, error?.details ?? []);
  }
  return body as T;
}

function safeJson(text: string): unknown {
  try { return JSON.parse(text); } catch { return undefined; }
}
