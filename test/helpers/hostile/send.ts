import { Agent, request } from 'node:http';
import { connect } from 'node:net';

/** One hostile request, as a generator of the catalogue built it. */
export interface HostileRequest {
  /** `<generator>: <what it tries>`, shown when the answer is wrong. */
  label: string;
  method: string;
  /** Path and query exactly as they go on the request line. */
  target: string;
  /** In order, names may repeat (two lines are sent). Host and Content-Length are added unless given. */
  headers: [string, string][];
  body?: Buffer;
  /** Written as is on a fresh connection instead: for what node:http refuses to send. */
  raw?: Buffer;
}

export interface HostileResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** The body of an error answer (400 and up), which problemWith reads; left empty for the others. */
  body: string;
  /** Raw requests only: bytes the server sent after its answer, such as a second answer. */
  trailing?: string;
}

/**
 * Sends hostile requests to one server on the loopback interface, over a bounded pool of
 * keep-alive connections; every request has a deadline, so a hang ends as an error.
 */
export class HostileClient {
  readonly #agent: Agent;
  readonly #host: string;
  readonly #port: number;

  constructor(
    baseUrl: string,
    private readonly timeoutMs: number,
    concurrency: number,
  ) {
    const url = new URL(baseUrl);
    // Hostile traffic never leaves this machine.
    if (!['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname)) throw new Error(`refusing to send hostile requests to ${url.hostname}: loopback only`);
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(url.port);
    this.#agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  send(hostile: HostileRequest): Promise<HostileResponse> {
    return hostile.raw ? this.#viaSocket(hostile.raw) : this.#viaHttp(hostile);
  }

  close(): void {
    this.#agent.destroy();
  }

  #viaHttp({ method, target, headers, body }: HostileRequest): Promise<HostileResponse> {
    const names = new Set(headers.map(([name]) => name.toLowerCase()));
    const lines: [string, string][] = [...headers];
    if (!names.has('host')) lines.unshift(['host', `${this.#host}:${this.#port}`]);
    // Without a length node:http would send a POST chunked, which says a body follows.
    if (!names.has('content-length') && !names.has('transfer-encoding') && (body || !['GET', 'HEAD'].includes(method)))
      lines.push(['content-length', String(body?.length ?? 0)]);
    return new Promise((resolve, reject) => {
      const outgoing = request(
        // A flat array keeps repeated names and names such as __proto__ as sent.
        { host: this.#host, port: this.#port, method, path: target, headers: lines.flat(), agent: this.#agent, signal: AbortSignal.timeout(this.timeoutMs) },
        (incoming) => {
          const chunks: Buffer[] = [];
          // A success's body (a console bundle, the OpenAPI document, sent a few hundred times
          // each) is read off the socket but neither kept nor decoded: no check looks at it.
          const keep = (incoming.statusCode ?? 0) >= 400;
          const done = () => {
            const joined: Record<string, string> = {};
            for (const [name, value] of Object.entries(incoming.headers))
              if (value !== undefined) joined[name] = Array.isArray(value) ? value.join(', ') : value;
            resolve({ status: incoming.statusCode ?? 0, headers: joined, body: keep ? Buffer.concat(chunks).toString('utf8') : '' });
          };
          // A stream of server-sent events (GET /admin/api/alerts/stream) never ends: its first
          // event is the answer, then the connection is dropped as a browser tab would drop it.
          const streaming = incoming.statusCode === 200 && /^text\/event-stream/.test(String(incoming.headers['content-type'] ?? ''));
          incoming.on('data', (chunk: Buffer) => {
            if (keep) chunks.push(chunk);
            if (streaming) {
              done();
              incoming.destroy();
            }
          });
          incoming.on('error', (error) => (streaming ? undefined : reject(error)));
          incoming.on('end', done);
        },
      );
      outgoing.on('error', (error: Error) =>
        reject(error.name === 'AbortError' || error.name === 'TimeoutError' ? new Error(`no answer within ${this.timeoutMs} ms`) : error),
      );
      outgoing.end(body);
    });
  }

  /**
   * Writes raw bytes and reads the answer until the server closes the connection (the raw
   * requests say `Connection: close`), so bytes after the first answer are seen too.
   */
  #viaSocket(raw: Buffer): Promise<HostileResponse> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = connect({ host: this.#host, port: this.#port });
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(lingering);
        socket.destroy();
        const { response } = parseRawResponse(Buffer.concat(chunks));
        // A complete answer counts even when the server then resets the connection.
        if (response) resolve(response);
        else
          reject(
            error ??
              new Error(
                chunks.length > 0
                  ? `an unreadable answer: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`
                  : 'the connection closed without an answer',
              ),
          );
      };
      const timer = setTimeout(() => settle(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      let lingering: NodeJS.Timeout | undefined;
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // Once an answer is whole, a moment more for anything the server still sends after it.
        // A stream of server-sent events is never whole: its head is the answer.
        const parsed = parseRawResponse(Buffer.concat(chunks));
        const streaming = /^text\/event-stream/.test(parsed.response?.headers['content-type'] ?? '');
        if (!lingering && (parsed.complete || streaming)) lingering = setTimeout(() => settle(), LINGER_MS);
      });
      socket.on('error', (error) => settle(error));
      socket.on('close', () => settle());
      socket.write(raw);
    });
  }
}

const LINGER_MS = 500;

/** Reads a raw HTTP/1.1 answer; whatever follows its Content-Length is kept as `trailing`. */
function parseRawResponse(bytes: Buffer): { response?: HostileResponse; complete: boolean } {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return { complete: false };
  const [statusLine = '', ...headerLines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = bytes.subarray(end + 4);
  const length = Number(headers['content-length'] ?? rest.length);
  const trailing = rest.subarray(length);
  return {
    response: { status, headers, body: rest.subarray(0, length).toString('utf8'), ...(trailing.length > 0 ? { trailing: trailing.toString('latin1') } : {}) },
    complete: rest.length >= length,
  };
}

/**
 * What is wrong with an answer, or undefined. Below 500 always; a 401 names its scheme and a
 * 429 says when to retry; every other error is an RFC 6749 §5.2 object in JSON, except where
 * `htmlPage` allows a page (an HTML form's answer) and for HEAD, which has no body.
 */
export function problemWith(request: HostileRequest, response: HostileResponse, { htmlPage = false } = {}): string | undefined {
  const { status, headers, body } = response;
  const shown = body.length > 300 ? `${body.slice(0, 300)}…` : body;
  if (status >= 500 || status < 100) return `status ${status}: ${shown}`;
  // One request, one answer: a second one would be read as the answer to the next request.
  if (response.trailing) return `${status}, then more bytes on the connection: ${JSON.stringify(response.trailing.slice(0, 200))}`;
  if (status === 401 && !headers['www-authenticate']) return '401 without WWW-Authenticate';
  if (status === 429 && !/^[1-9]\d*$/.test(headers['retry-after'] ?? '')) return '429 without Retry-After in whole seconds';
  if (status < 300) return undefined;
  if (status < 400) return headers['location'] ? undefined : `${status} without Location`;
  const type = headers['content-type'] ?? '';
  if (htmlPage && type.startsWith('text/html')) return undefined;
  if (!/^application\/json(;|$)/.test(type)) return `${status} with content type "${type}": ${shown}`;
  if (request.method === 'HEAD') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${status} whose body is not JSON: ${shown}`;
  }
  const object = (parsed ?? {}) as Record<string, unknown>;
  const keys = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(object).sort().join() : '';
  const isText = (value: unknown) => typeof value === 'string' && value.length > 0;
  if (keys !== 'error,error_description' || !isText(object['error']) || !isText(object['error_description']))
    return `${status} without an RFC 6749 error object: ${shown}`;
  return undefined;
}

/** One line that says what was sent, short enough for a report. */
export function describeRequest({ label, method, target, headers, body, raw }: HostileRequest): string {
  const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);
  if (raw) return `[${label}] raw ${JSON.stringify(cut(raw.toString('latin1'), 240))}`;
  const shownHeaders = headers.map(([name, value]) => `${name}: ${cut(value, 60)}`).join(' | ');
  const shownBody = body ? ` body ${JSON.stringify(cut(body.toString('latin1'), 160))}` : '';
  return `[${label}] ${method} ${cut(target, 160)} {${shownHeaders}}${shownBody}`;
}
