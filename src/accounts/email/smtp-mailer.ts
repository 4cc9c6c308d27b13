import nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from './mailer.js';
import { assertSingleAddress } from './mailer.js';

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:587` (STARTTLS when offered) or `smtps://…` (TLS from the start, port 465). */
  url: string;
  /** The From header, e.g. `Guestpass <no-reply@example.com>`. */
  from: string;
}

/** Sends through an SMTP relay over a small connection pool. */
export class SmtpMailer implements Mailer {
  readonly #transport;
  readonly #from: string;
  readonly #description: string;

  constructor({ url, from }: SmtpMailerOptions) {
    this.#from = from;
    this.#description = describeUrl(url);
    this.#transport = nodemailer.createTransport({
      url,
      // A pool keeps a couple of authenticated connections open, so a burst of sign-ups does
      // not pay a TCP + TLS + AUTH handshake per message.
      pool: true,
      maxConnections: 2,
      // Sign-up waits on the relay: a relay that hangs must fail the send in seconds, not hold
      // the request for nodemailer's default minutes.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // nodemailer's own logger would print envelopes (recipients); keep it off.
      logger: false,
      debug: false,
    });
  }

  async send(message: MailMessage): Promise<void> {
    assertSingleAddress(message.to);
    await this.#transport.sendMail({
      from: this.#from,
      // An address object is taken as it is, never re-parsed as a list.
      to: { name: '', address: message.to },
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
  }

  describe(): string {
    return this.#description;
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

/** `smtps://mail.example.com:465`: scheme, host and port only, never the credentials. */
function describeUrl(raw: string): string {
  const url = new URL(raw);
  return `SMTP ${url.protocol}//${url.host}`;
}
