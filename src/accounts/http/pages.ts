import type { FastifyReply } from 'fastify';

/**
 * The two pages a mailed link opens. A GET only shows a button; the POST does the work, so a
 * mail scanner that follows links cannot use up the proof. No script, no outside resource:
 * the CSP says so.
 */
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string) {
  reply
    .code(status)
    .header('Content-Type', 'text/html; charset=utf-8')
    .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-store');
  return reply.send(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title>` +
      `<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button,input{font:inherit;padding:.4rem .8rem}</style></head>` +
      `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  );
}

export function confirmEmailPage(reply: FastifyReply, token: string) {
  return page(
    reply,
    200,
    'Confirm your e-mail address',
    `<form method="post" action="/accounts/verify/link"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Confirm</button></form>`,
  );
}

export function resetPasswordPage(reply: FastifyReply, token: string) {
  return page(
    reply,
    200,
    'Choose a new password',
    `<form method="post" action="/accounts/password/reset"><input type="hidden" name="token" value="${escapeHtml(token)}">` +
      `<p><label>New password <input type="password" name="password" minlength="10" required autocomplete="new-password"></label></p><button type="submit">Save</button></form>`,
  );
}

export function resultPage(reply: FastifyReply, status: number, title: string, message: string) {
  return page(reply, status, title, `<p>${escapeHtml(message)}</p>`);
}
