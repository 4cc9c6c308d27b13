import type { FastifyRequest } from 'fastify';
import { clientError } from './error-codes.js';
import type { Client } from './types.js';

/**
 * Browser calls from a public client must come from one of its allowed origins. The check
 * applies when the browser sends `Origin`; `required` makes a missing Origin a refusal too,
 * for state changes that ride on a cookie (CSRF).
 */
export function checkClientOrigin(client: Client, request: FastifyRequest, { required = false } = {}): void {
  const origin = request.headers.origin;
  if (origin === undefined) {
    if (required)
      throw clientError(
        'ORIGIN_NOT_ALLOWED',
        'A request that relies on the session cookie must carry an Origin header from one of the client’s allowed origins.',
      );
    return;
  }
  if (!client.allowedOrigins.includes(origin)) {
    throw clientError('ORIGIN_NOT_ALLOWED', `Origin ${origin.slice(0, 200)} is not one of this client’s allowed origins; add it to allowed_origins.`);
  }
}
