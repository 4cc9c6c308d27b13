import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressGuard } from './address-guard.js';

/** Resolves a host name to its addresses (dns.lookup by default; a test may name its own). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/** Why an attempt got no HTTP answer; stored per attempt and used as a metric label. */
export type SendError = 'address_refused' | 'dns_error' | 'timeout' | 'connection_error';

export interface SendResult {
  /** The HTTP status, when an answer came. */
  status?: number;
  /** At most RESPONSE_BODY_LIMIT bytes of the answer, as text. */
  body?: string;
  error?: SendError;
  latencyMs: number;
}

const RESPONSE_BODY_LIMIT = 1024;

class AddressRefused extends Error {
  override name = 'AddressRefused';
}

export interface SenderOptions {
  guard: AddressGuard;
  timeoutMs: number;
  resolve?: Resolve;
}

/**
 * Sends one webhook request. The SSRF guard sits in the socket's own `lookup`: the address the
 * connection is made to is the address that was checked (no second resolution an attacker's
 * DNS could answer differently), an IP literal is checked before any connection, and
 * redirects are never followed (a 3xx is a failed attempt). Connections are kept alive per
 * destination, each one opened through the guard.
 */
export class WebhookSender {
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  private readonly lookup: LookupFunction;

  constructor(private readonly options: SenderOptions) {
    const resolve = options.resolve ?? systemResolve;
    this.lookup = (hostname, lookupOptions, callback) => {
      resolve(hostname).then(
        (addresses) => {
          const permitted = addresses.filter(({ address }) => options.guard.permits(address));
          if (permitted.length === 0) return callback(new AddressRefused(hostname), '', 4);
          if (lookupOptions.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, permitted);
          callback(null, permitted[0]!.address, permitted[0]!.family);
        },
        (error: NodeJS.ErrnoException) => callback(error, '', 4),
      );
    };
  }

  async send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<SendResult> {
    const started = performance.now();
    const latencyMs = () => Math.round(performance.now() - started);
    const target = new URL(url);
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !this.options.guard.permits(host)) return { error: 'address_refused', latencyMs: 0 };
    const transport = target.protocol === 'https:' ? https : http;
    return new Promise<SendResult>((resolve) => {
      let settled = false;
      const finish = (result: Omit<SendResult, 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ...result, latencyMs: latencyMs() });
      };
      const request = transport.request(
        target,
        {
          method: 'POST',
          agent: target.protocol === 'https:' ? this.agents.https : this.agents.http,
          lookup: this.lookup,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Guestpass-Webhooks/1', ...headers },
          ...(signal ? { signal } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk.subarray(0, RESPONSE_BODY_LIMIT - size));
            size += chunk.length;
          });
          response.on('end', () => finish({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', () => finish({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      const timer = setTimeout(() => {
        finish({ error: 'timeout' });
        request.destroy();
      }, this.options.timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof AddressRefused) finish({ error: 'address_refused' });
        else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') finish({ error: 'dns_error' });
        else finish({ error: 'connection_error' });
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
