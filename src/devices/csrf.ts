import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { deviceError } from './error-codes.js';

/**
 * CSRF defence of the verification page, in three layers. A signed double-submit token: a
 * random value in an HttpOnly, SameSite=Strict cookie, and its HMAC under a server key in the
 * form, compared in constant time (another site can neither read the cookie nor compute the
 * HMAC). The browser's `Origin` must be the issuer's, and `Sec-Fetch-Site`, when sent, must not
 * be cross-site. No JavaScript is involved, so the page works with scripts turned off.
 */
const COOKIE = 'gp_device_csrf';

export interface CsrfDeps {
  csrfKey: Buffer;
  issuer: () => string;
}

function readCookie(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === COOKIE) {
      const value = rest.join('=');
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

const sign = (deps: CsrfDeps, value: string) => createHmac('sha256', deps.csrfKey).update(value).digest('base64url');

/** The form's token for this browser, setting the cookie it pairs with when there is none yet. */
export function csrfTokenFor(deps: CsrfDeps, request: FastifyRequest, reply: FastifyReply): string {
  let value = readCookie(request);
  if (!value) {
    value = randomBytes(32).toString('base64url');
    const secure = deps.issuer().startsWith('https://') ? '; Secure' : '';
    reply.header('Set-Cookie', `${COOKIE}=${value}; Path=/device; HttpOnly; SameSite=Strict${secure}`);
  }
  return sign(deps, value);
}

/** Refuses a form post that did not come from this page in this browser. */
export function checkCsrf(deps: CsrfDeps, request: FastifyRequest, token: string): void {
  const value = readCookie(request);
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  if (origin !== undefined && origin !== new URL(deps.issuer()).origin) throw deviceError('CSRF_FAILED');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw deviceError('CSRF_FAILED');
  if (!value) throw deviceError('CSRF_FAILED');
  const expected = Buffer.from(sign(deps, value));
  const presented = Buffer.from(token);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) throw deviceError('CSRF_FAILED');
}
