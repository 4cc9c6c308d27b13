import type { FastifyServerOptions } from 'fastify';
import { networkOf } from '../shared/network.js';

/**
 * pino settings. Privacy rule: no token, secret, cookie, e-mail or raw IP address is ever
 * logged. Requests are logged with their path (never the query string) and the IP prefix;
 * credentials-bearing headers are not serialized at all, and redaction is a second net.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers.dpop', 'res.headers["set-cookie"]', '*.client_secret', '*.password', '*.email'],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method?: string; url?: string; ip?: string; routeOptions?: { url?: string } }) {
        return {
          method: request.method,
          path: request.url?.split('?')[0],
          ip_prefix: request.ip ? networkOf(request.ip)?.ip_prefix : undefined,
        };
      },
      res(reply: { statusCode?: number }) {
        return { statusCode: reply.statusCode };
      },
    },
  };
}
