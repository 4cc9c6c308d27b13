import { randomBytes } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from './mailer.js';
import { assertSingleAddress } from './mailer.js';

export interface OutboxMailerOptions {
  /** The folder the `.eml` files go to; created (mode 0700) on the first message. */
  folder: string;
  /** The From header. */
  from: string;
}

/**
 * Development mail: each message is composed exactly as SMTP would carry it (RFC 5322, CRLF
 * line ends, MIME multipart text + HTML) and written to `<folder>/<time>-<random>.eml`, which
 * any mail client opens. The files hold live one-time codes, so the folder is private to the
 * server's user (0700, files 0600), and nothing about a message is ever logged: operators are
 * told the folder, once, at start-up.
 */
export class OutboxMailer implements Mailer {
  readonly #folder: string;
  readonly #from: string;
  readonly #composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  #ready: Promise<void> | undefined;

  constructor({ folder, from }: OutboxMailerOptions) {
    this.#folder = folder;
    this.#from = from;
  }

  async send(message: MailMessage): Promise<void> {
    assertSingleAddress(message.to);
    this.#ready ??= this.#createFolder();
    await this.#ready;
    const info = await this.#composer.sendMail({
      from: this.#from,
      to: { name: '', address: message.to },
      subject: message.subject,
      text: message.text,
      html: message.html,
    });
    if (!Buffer.isBuffer(info.message)) throw new TypeError('the stream transport was expected to return a buffer');
    // 'wx': never overwrite; the random suffix keeps two messages in one millisecond apart.
    await writeFile(join(this.#folder, outboxFileName(new Date())), info.message, { mode: 0o600, flag: 'wx' });
  }

  describe(): string {
    return this.#folder;
  }

  async close(): Promise<void> {
    this.#composer.close();
  }

  async #createFolder(): Promise<void> {
    await mkdir(this.#folder, { recursive: true, mode: 0o700 });
    // mkdir's mode does nothing to a folder that already exists.
    await chmod(this.#folder, 0o700);
  }
}

/** `2025-06-01T12-30-05-123Z-9f3a1c2b.eml`: sorts by time as plain text, safe on every file system. */
export function outboxFileName(at: Date): string {
  return `${at.toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}.eml`;
}
