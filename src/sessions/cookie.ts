import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Cookie mode (the HttpOnly-cookie pattern for server-rendered sites): the session token lives
 * in a cookie JavaScript cannot read. With an https issuer the cookie is `__Host-gp_session`
 * (Secure, host-only, Path=/: browsers refuse it otherwise). On a plain-http development
 * issuer it is `gp_session` without Secure, because browsers drop Secure cookies set over
 * http (except on localhost in some browsers) and `__Host-` demands Secure.
 */
export function sessionCookieName(issuer: string): string {
  return issuer.startsWith('https://') ? '__Host-gp_session' : 'gp_session';
}

/** The session cookie of the request, if any. Session tokens are base64url and dots only. */
export function readSessionCookie(request: FastifyRequest, issuer: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  const name = sessionCookieName(issuer);
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      const value = rest.join('=');
      return /^[A-Za-z0-9._-]+$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

export function setSessionCookie(reply: FastifyReply, issuer: string, token: string, maxAgeSeconds: number): void {
  const secure = issuer.startsWith('https://') ? '; Secure' : '';
  reply.header(
    'Set-Cookie',
    `${sessionCookieName(issuer)}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${secure}`,
  );
}

export function clearSessionCookie(reply: FastifyReply, issuer: string): void {
  setSessionCookie(reply, issuer, '', 0);
}
