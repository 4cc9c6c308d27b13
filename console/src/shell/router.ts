import { useSyncExternalStore } from 'react';

/**
 * A router of a few lines: pages are /admin/<page>, the rest of the state lives in the query
 * string so that a link or a reload shows the same view. The server answers every /admin/<page>
 * with index.html.
 */
export const BASE = '/admin/';

const listeners = new Set<() => void>();
const notify = () => {
  for (const listener of listeners) listener();
};
window.addEventListener('popstate', notify);

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const snapshot = () => window.location.pathname + window.location.search;

export function navigate(to: string, { replace = false } = {}): void {
  const url = to.startsWith('/') ? to : BASE + to;
  if (url === snapshot()) return;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  notify();
}

export interface Location {
  page: string;
  params: URLSearchParams;
}

export function useLocation(): Location {
  const current = useSyncExternalStore(subscribe, snapshot);
  const url = new URL(current, window.location.origin);
  const page = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length).split('/')[0] || '' : '';
  return { page, params: url.searchParams };
}

/** Replaces some query parameters of the current page, keeping the others. */
export function setParams(changes: Record<string, string | undefined>, { replace = true } = {}): void {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === '') url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  navigate(url.pathname + url.search, { replace });
}
