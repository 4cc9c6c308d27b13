/**
 * The two messages Guestpass sends, as plain text and HTML. Short on purpose: the reader needs
 * the code or the link, how long it lasts, and what to do if they did not ask for it. Every
 * interpolated value is HTML-escaped (the issuer comes from configuration, but the habit is
 * what keeps a later template safe).
 */

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export interface VerificationMailInput {
  /** The 6-digit one-time code. */
  code: string;
  /** A link carrying the same proof as the code. */
  link: string;
  expiresInMinutes: number;
  /** The issuer URL; its host names the service in the message. */
  issuer: string;
}

export interface PasswordResetMailInput {
  link: string;
  code: string;
  expiresInMinutes: number;
  issuer: string;
}

/** Sent at sign-up, on `POST /anonymous/convert`, and when a guest signs in by e-mail. */
export function verificationMail({ code, link, expiresInMinutes, issuer }: VerificationMailInput): MailContent {
  const site = siteName(issuer);
  const lasts = lifetime(expiresInMinutes);
  const href = safeLink(link);
  const subject = `Confirm your e-mail address for ${site}`;
  const text = [
    `Your code for ${site} is:`,
    '',
    `    ${code}`,
    '',
    'Enter it where you asked for it, or open this link:',
    href,
    '',
    `This confirms your e-mail address and signs you in. What you did as a guest on ${site} stays with your account.`,
    '',
    `The code and the link work once and expire in ${lasts}.`,
    '',
    'If you did not ask for this, you can ignore this message: nothing changes until the code is used.',
    '',
  ].join('\n');
  const html = page(subject, [
    `<p>Your code for ${escapeHtml(site)} is:</p>`,
    `<p style="font-size:28px;font-family:monospace;letter-spacing:4px;margin:16px 0">${escapeHtml(code)}</p>`,
    `<p>Enter it where you asked for it, or <a href="${escapeHtml(href)}">confirm your address and sign in</a>.</p>`,
    `<p>This confirms your e-mail address and signs you in. What you did as a guest on ${escapeHtml(site)} stays with your account.</p>`,
    `<p>The code and the link work once and expire in ${escapeHtml(lasts)}.</p>`,
    '<p style="color:#666">If you did not ask for this, you can ignore this message: nothing changes until the code is used.</p>',
  ]);
  return { subject, text, html };
}

/** Sent by `POST /accounts/password/forgot` when the address has an account. */
export function passwordResetMail({ link, code, expiresInMinutes, issuer }: PasswordResetMailInput): MailContent {
  const site = siteName(issuer);
  const lasts = lifetime(expiresInMinutes);
  const href = safeLink(link);
  const subject = `Reset your password for ${site}`;
  const text = [
    `Someone asked to reset the password of your ${site} account.`,
    '',
    'To choose a new password, open this link:',
    href,
    '',
    `or enter this code: ${code}`,
    '',
    `The link and the code work once and expire in ${lasts}.`,
    '',
    'If you did not ask for this, you can ignore this message: your password stays as it is.',
    '',
  ].join('\n');
  const html = page(subject, [
    `<p>Someone asked to reset the password of your ${escapeHtml(site)} account.</p>`,
    `<p><a href="${escapeHtml(href)}">Choose a new password</a></p>`,
    `<p>or enter this code: <span style="font-family:monospace;font-size:20px;letter-spacing:3px">${escapeHtml(code)}</span></p>`,
    `<p>The link and the code work once and expire in ${escapeHtml(lasts)}.</p>`,
    '<p style="color:#666">If you did not ask for this, you can ignore this message: your password stays as it is.</p>',
  ]);
  return { subject, text, html };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an HTML element body or a double- or single-quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

function page(title: string, paragraphs: string[]): string {
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:sans-serif;line-height:1.5;color:#222;max-width:560px">',
    ...paragraphs,
    '</body></html>',
    '',
  ].join('\n');
}

/** The host of the issuer URL (`auth.example.com`), or the issuer as given if it is not a URL. */
function siteName(issuer: string): string {
  try {
    return new URL(issuer).host || issuer;
  } catch {
    return issuer;
  }
}

function lifetime(minutes: number): string {
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/** Only http(s) links go in an href: escaping does not stop a `javascript:` URL. */
function safeLink(link: string): string {
  const url = new URL(link);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('mail links must be http(s) URLs');
  return url.href;
}
