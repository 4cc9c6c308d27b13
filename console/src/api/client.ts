/**
 * Every call the console makes to /admin/api: same-origin, with the session cookie the browser
 * holds (HttpOnly, so this code never sees it) and, on every unsafe method, the CSRF token the
 * sign-in answer gave. Failures become an ApiError whose message is the server's sentence.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
}

let csrfToken: string | undefined;
let onSessionEnded: ((reason: string) => void) | undefined;

/** The token sent as X-CSRF-Token; set at sign-in and when the session is read back. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called once by the session provider: a 401 anywhere sends the operator back to sign-in. */
export function whenSessionEnds(listener: (reason: string) => void): void {
  onSessionEnded = listener;
}

export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `/admin/api${path}${search ? `?${search}` : ''}`;
}

const UNSAFE = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

async function errorOf(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => undefined)) as { error?: string; error_description?: string } | undefined;
  const sentence = body?.error_description ?? `The server answered ${response.status} ${response.statusText} without an explanation.`;
  return new ApiError(response.status, body?.error ?? 'server_error', sentence);
}

export async function api<T>(path: string, { method = 'GET', body, query, signal }: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method) && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'The server did not answer: check that it is running and reachable, then try again.');
  }
  if (!response.ok) {
    const error = await errorOf(response);
    // The session endpoints answer 401 as part of signing in; elsewhere it means the session ended.
    if (response.status === 401 && !path.startsWith('/session')) onSessionEnded?.(error.message);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
