import { isIP } from 'node:net';

/**
 * --live only talks to this machine: it fabricates traffic from thousands of networks through
 * X-Forwarded-For, which must never reach a server someone else relies on.
 */
export function loopbackBase(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--live ${raw} is not a URL; give the running server's address, e.g. http://127.0.0.1:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('--live must be an http:// or https:// URL.');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.')) || host === '::1';
  if (!loopback) throw new Error(`--live refuses ${url.hostname}: it only drives a server on this machine (localhost, 127.0.0.0/8 or ::1).`);
  return url;
}

export interface HttpResult {
  status: number;
  body: Record<string, unknown>;
}

/** JSON or form requests to the server, each from a chosen client address (X-Forwarded-For). */
export class LiveHttp {
  requests = 0;
  readonly statuses = new Map<number, number>();

  constructor(private readonly base: URL) {}

  async call(
    method: string,
    path: string,
    {
      from,
      json,
      form,
      bearer,
      basic,
      contentType,
    }: { from?: string; json?: unknown; form?: Record<string, string>; bearer?: string; basic?: [string, string]; contentType?: string } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    if (from) headers['x-forwarded-for'] = from;
    if (bearer) headers['authorization'] = `Bearer ${bearer}`;
    // RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
    if (basic) headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
    let body: string | undefined;
    if (json !== undefined) {
      headers['content-type'] = contentType ?? 'application/json';
      body = JSON.stringify(json);
    } else if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    this.requests += 1;
    const response = await fetch(new URL(path, this.base), { method, headers, ...(body !== undefined ? { body } : {}) });
    this.statuses.set(response.status, (this.statuses.get(response.status) ?? 0) + 1);
    const text = await response.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text: text.slice(0, 200) };
    }
    return { status: response.status, body: parsed };
  }
}
