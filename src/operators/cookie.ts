import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The console cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's page makes
 * the browser send it), and scoped to /admin (the console and its API; the rest of the server
 * never sees it). With an https issuer it is `__Secure-gp_console` with Secure, a name browsers
 * accept only over https; `__Host-` would demand Path=/. On a plain-http development issuer it
 * is `gp_console` without Secure, as sessions/cookie.ts does for the guest cookie.
 */
export function consoleCookieName(issuer: string): string {
  return issuer.startsWith('https://') ? '__Secure-gp_console' : 'gp_console';
}

/** The console cookie's token, if the request carries a well-formed one. */
export function readConsoleCookie(request: FastifyRequest, issuer: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const name = consoleCookieName(issuer);
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      const value = rest.join('=');
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function setConsoleCookie(reply: FastifyReply, issuer: string, token: string, maxAgeSeconds: number): void {
  const secure = issuer.startsWith('https://') ? '; Secure' : '';
  reply.header(
    'Set-Cookie',
    `${consoleCookieName(issuer)}=${token}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${secure}`,
  );
}

export function clearConsoleCookie(reply: FastifyReply, issuer: string): void {
  setConsoleCookie(reply, issuer, '', 0);
}
