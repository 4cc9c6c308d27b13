import type { FastifyReply } from 'fastify';
import { escapeHtml, htmlPage } from '../shared/html-page.js';

/**
 * The verification page's HTML: server-rendered, no script, no outside resource (the CSP says
 * so), so it works on any browser a person has at hand, scripts on or off.
 */
export { escapeHtml };

/**
 * The device pages: the shared shell, with margins on inputs and a large code. Referrer policy
 * `same-origin`: the decision form's POST must carry the page's Origin for csrf.ts to check
 * (under `no-referrer` a browser sends `Origin: null`), and the user code in the URL still
 * reaches no other site.
 */
export const page = (reply: FastifyReply, status: number, title: string, body: string) =>
  htmlPage(
    reply,
    status,
    title,
    body,
    'button,input{margin:.2rem 0}.code{font:600 1.6rem/1 ui-monospace,monospace;letter-spacing:.1em}.error{color:#a00}',
    'same-origin',
  );

/** Step one: type the code the device shows. A GET form, so the next page can be bookmarked or reloaded. */
export function enterCodePage(reply: FastifyReply, status = 200, error?: string) {
  return page(
    reply,
    status,
    'Connect a device',
    `${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}` +
      '<form method="get" action="/device"><p><label>Code shown on your device<br>' +
      '<input name="user_code" required autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="16" placeholder="XXXX-XXXX"></label></p>' +
      '<button type="submit">Continue</button></form>',
  );
}

export interface DecisionView {
  userCode: string;
  clientName: string;
  scope: string | null;
  csrfToken: string;
  /** The browser's current session, if it has one: whom "approve" would sign the device in as. */
  current?: { isAnonymous: boolean };
  /** Offer e-mail and password sign-in: the browser has no account session to approve with. */
  signIn: boolean;
}

/**
 * Step two: whom to sign the device in as, or deny it. One form, one button per choice; and,
 * when the browser holds no account session, a second form to sign in to an account with.
 */
export function decisionPage(reply: FastifyReply, view: DecisionView) {
  const hidden =
    `<input type="hidden" name="user_code" value="${escapeHtml(view.userCode)}">` +
    `<input type="hidden" name="csrf_token" value="${escapeHtml(view.csrfToken)}">`;
  const asCurrent = view.current
    ? `<p><button type="submit" name="action" value="approve">Continue as ${view.current.isAnonymous ? 'the guest of this browser' : 'your account'}</button></p>`
    : '';
  return page(
    reply,
    200,
    'Connect a device',
    `<p><strong>${escapeHtml(view.clientName)}</strong> asks to sign in on a device showing</p><p class="code">${escapeHtml(view.userCode)}</p>` +
      '<p>Only continue if you started this on your own device and the code matches.</p>' +
      (view.scope ? `<p>It asks for: ${escapeHtml(view.scope)}</p>` : '') +
      `<form method="post" action="/device">${hidden}${asCurrent}` +
      '<p><button type="submit" name="action" value="approve_new_guest">Continue as a new guest</button></p>' +
      '<p><button type="submit" name="action" value="deny">Deny</button></p></form>' +
      (view.signIn ? signInForm(hidden) : ''),
  );
}

/** Sign in to an account and approve as it in one step; the browser itself stays signed out. */
const signInForm = (hidden: string) =>
  `<h2>Or continue as your account</h2><form method="post" action="/device">${hidden}` +
  '<p><label>E-mail address<br><input type="email" name="email" required autocomplete="username" maxlength="320"></label></p>' +
  '<p><label>Password<br><input type="password" name="password" required autocomplete="current-password" maxlength="1024"></label></p>' +
  '<p><button type="submit" name="action" value="approve_account">Sign in and continue</button></p></form>';

/** An outcome; a refusal may link back to the code's page (`retry`) so the person can try again. */
export function resultPage(reply: FastifyReply, status: number, title: string, message: string, retry?: string) {
  const back = retry ? `<p><a href="${escapeHtml(retry)}">Back</a></p>` : '';
  return page(reply, status, title, `<p${status >= 400 ? ' class="error" role="alert"' : ''}>${escapeHtml(message)}</p>${back}`);
}
