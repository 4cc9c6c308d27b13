import { join } from 'node:path';
import type { Mailer } from './mailer.js';
import { OutboxMailer } from './outbox-mailer.js';
import { SmtpMailer } from './smtp-mailer.js';

export type { Mailer, MailMessage } from './mailer.js';
export { assertSingleAddress } from './mailer.js';
export { OutboxMailer, type OutboxMailerOptions } from './outbox-mailer.js';
export { SmtpMailer, type SmtpMailerOptions } from './smtp-mailer.js';
export { passwordResetMail, verificationMail, type MailContent, type PasswordResetMailInput, type VerificationMailInput } from './templates.js';

export interface CreateMailerOptions {
  /** `GUESTPASS_SMTP_URL`; unset means the development outbox. */
  smtpUrl?: string | undefined;
  /** `GUESTPASS_MAIL_FROM`. */
  mailFrom: string;
  /** The data folder; the outbox is `<dataDir>/outbox`. */
  dataDir: string;
}

/** SMTP when a relay is configured, otherwise the development outbox under the data folder. */
export function createMailer({ smtpUrl, mailFrom, dataDir }: CreateMailerOptions): Mailer {
  if (smtpUrl) return new SmtpMailer({ url: smtpUrl, from: mailFrom });
  return new OutboxMailer({ folder: join(dataDir, 'outbox'), from: mailFrom });
}
