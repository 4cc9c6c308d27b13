import type { FastifyReply } from 'fastify';
import { escapeHtml, htmlPage } from '../../shared/html-page.js';

/**
 * The two pages a mailed link opens. A GET only shows a button; the POST does the work, so a
 * mail scanner that follows links cannot use up the proof. No script, no outside resource:
 * the CSP says so.
 */
const page = htmlPage;

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
