import type { FastifyReply } from 'fastify';

/**
 * The console's Content-Security-Policy: everything from this origin only, no inline script or
 * style (Vite emits none), no framing, no <base>, forms post only here. `data:` images are for
 * the icons uPlot and the stylesheet draw inline.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Hashed asset names change with their content, so a browser may keep one for a year unasked. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current assets: revalidated on every load so a new build shows at once. */
export const REVALIDATE = 'no-cache';

/** Headers on every console response (pages, assets and the 503 when the console is not built). */
export function setConsoleHeaders(reply: FastifyReply): void {
  reply.header('Content-Security-Policy', CONSOLE_CSP);
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Referrer-Policy', 'no-referrer');
  reply.header('Cross-Origin-Opener-Policy', 'same-origin');
  reply.header('Cross-Origin-Resource-Policy', 'same-origin');
}
