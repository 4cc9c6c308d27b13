/**
 * Where verification and reset mail goes. Two implementations: `SmtpMailer` (production, any
 * SMTP relay) and `OutboxMailer` (development: `.eml` files in a folder). Neither logs a
 * recipient or a body: both carry one-time codes, and addresses are personal data (DESIGN §2,
 * privacy by structure).
 */

/** One message; `to` is exactly one plain address (see `assertSingleAddress`). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Hands the message to the transport; rejects if it was not accepted. */
  send(message: MailMessage): Promise<void>;
  /** A description safe to log: never credentials, recipients or content. */
  describe(): string;
  /** Releases connections; `send` must not be called after it. */
  close(): Promise<void>;
}

// One mailbox, no display name, no list, no comment, no whitespace. A `to` such as
// "victim@example.com, attacker@example.net" would otherwise be parsed by the mail library as
// two recipients, and a reset code would reach both (the shape of GitLab's CVE-2023-7028).
const SINGLE_ADDRESS = /^[^\s@,;:<>()[\]"\\]+@[^\s@,;:<>()[\]"\\]+$/;

/** Throws unless `to` is a single bare address; the caller validated it, this is a backstop. */
export function assertSingleAddress(to: string): void {
  if (to.length > 320 || !SINGLE_ADDRESS.test(to)) throw new TypeError('mail recipient must be a single plain e-mail address');
}
