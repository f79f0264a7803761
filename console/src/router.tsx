// A small history router under /console: the API serves index.html for every console path, so a
// reload or a shared link opens the same page.
import { useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

export const base = '/console';

const listeners = new Set<() => void>();
const subscribe = (fn: () => void) => {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => { listeners.delete(fn); window.removeEventListener('popstate', fn); };
};
const snapshot = () => window.location.pathname + window.location.search;

/** The path inside the console ("/journeys/welcome") and its query. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(href, window.location.origin);
  const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) || '/' : url.pathname;
  return { path, query: url.searchParams };
}

// Set once the console moves inside itself: the first page keeps the browser's own focus order.
let moved = false;
window.addEventListener('popstate', () => { moved = true; });
/** The next page takes focus on its heading (after signing in, say). */
export const focusNextPage = (): void => { moved = true; };

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  moved = true;
  const href = base + to;
  if (options.replace) window.history.replaceState(null, '', href); else window.history.pushState(null, '', href);
  for (const fn of listeners) fn();
}

/** `pattern` like "/journeys/:id": the named parts, or undefined when the path does not match. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.replace(/\/$/, '').split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = have[i] ?? '';
    if (part.startsWith(':')) { if (!value) return undefined; params[part.slice(1)] = decodeURIComponent(value); } else if (part !== value) return undefined;
  }
  return params;
}

/** A real link (open in a new tab works) that moves inside the console without a reload. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={base + to} onClick={onClick} {...rest} />;
}

/** Sets the document title and, after a move inside the console, focuses the page's heading so screen readers hear the new page. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Closedloop`;
    const h1 = document.querySelector<HTMLElement>('main h1');
    if (moved && h1 && document.activeElement?.tagName !== 'INPUT') h1.focus({ preventScroll: true });
  }, [title]);
}
