import type { ServerOptions } from 'node:http';
import type { Config } from './config.js';

const milliseconds = (seconds: number) => Math.max(1, Math.round(seconds * 1000));

export interface ConnectionTimeouts {
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
}

/**
 * Fastify and node:http timeouts from GUESTPASS_HEADERS_TIMEOUT, GUESTPASS_REQUEST_TIMEOUT and
 * GUESTPASS_KEEP_ALIVE_TIMEOUT. Fastify's default request timeout of 0 switches Node's off, so
 * a client that announced a body and never sent it held its connection for good; now it gets
 * 408 (an RFC 6749 error object, see clientErrorHandler) and the connection closes.
 */
export function connectionTimeouts(config: Pick<Config, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout'>): ConnectionTimeouts {
  const requestTimeout = milliseconds(config.requestTimeout);
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(milliseconds(config.headersTimeout), requestTimeout);
  return {
    requestTimeout,
    keepAliveTimeout: milliseconds(config.keepAliveTimeout),
    http: {
      requestTimeout,
      headersTimeout,
      // Node looks for expired requests only this often (30 s by default, which could double a
      // 30 s timeout); a quarter of the shorter timeout, at most a second, keeps them close.
      connectionsCheckingInterval: Math.min(1000, Math.max(10, Math.floor(headersTimeout / 4))),
    },
  };
}
