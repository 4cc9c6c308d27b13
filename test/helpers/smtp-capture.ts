/**
 * A real SMTP server (smtp-server) on 127.0.0.1 and an ephemeral port that keeps every message
 * it is given, for tests that read a code or a link out of real mail. Give `url` to Guestpass
 * as GUESTPASS_SMTP_URL.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  /** RCPT TO addresses, as the client sent them. */
  to: string[];
  /** The whole message as received (headers and MIME body). */
  raw: string;
  /** The bodies of the text parts, transfer encoding undone (text/plain first), for reading codes and links. */
  text: string;
  /** The Subject header, unfolded (encoded words left as they are). */
  subject: string;
}

export interface SmtpCapture {
  url: string;
  messages: CapturedMail[];
  /** The first message (already received or still to come) that matches, or a rejection after `timeoutMs`. */
  waitFor(predicate: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>;
  stop(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  const waiters = new Set<(mail: CapturedMail) => void>();
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP on loopback: without STARTTLS on offer the client does not try to upgrade to
    // a certificate it cannot verify.
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const mail: CapturedMail = { to: session.envelope.rcptTo.map((r) => r.address), raw, text: readableText(raw), subject: headerOf(raw, 'subject') ?? '' };
        messages.push(mail);
        for (const waiter of waiters) waiter(mail);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(predicate, timeoutMs = 5000) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = (mail: CapturedMail): void => {
          if (!predicate(mail)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(mail);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The first 6-digit number in the mail's text (the one-time code). */
export function codeIn(mail: CapturedMail): string {
  const match = /\b(\d{6})\b/.exec(mail.text);
  if (!match?.[1]) throw new Error('no 6-digit code in the mail');
  return match[1];
}

/** The first http(s) URL in the mail's text. */
export function linkIn(mail: CapturedMail): string {
  const match = /https?:\/\/[^\s<>"']+/.exec(mail.text);
  if (!match) throw new Error('no link in the mail');
  return match[0];
}

// A small MIME reader, enough for what nodemailer composes: nested multiparts, leaves in
// 7bit, 8bit, quoted-printable (RFC 2045 §6.7) or base64. Not a general parser.

interface Part {
  headers: string;
  body: string;
}

function splitPart(raw: string): Part {
  const end = raw.search(/\r?\n\r?\n/);
  if (end < 0) return { headers: raw, body: '' };
  return { headers: raw.slice(0, end), body: raw.slice(end).replace(/^\r?\n\r?\n/, '') };
}

function headerOf(raw: string, name: string): string | undefined {
  const { headers } = splitPart(raw);
  const unfolded = headers.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line?.slice(name.length + 1).trim();
}

function leaves(raw: string): Array<{ type: string; text: string }> {
  const { body } = splitPart(raw);
  const type = (headerOf(raw, 'content-type') ?? 'text/plain').toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = /boundary="?([^";]+)"?/i.exec(headerOf(raw, 'content-type') ?? '')?.[1];
    if (!boundary) return [];
    const sections = body.split(`--${boundary}`).slice(1);
    return sections.filter((s) => !s.startsWith('--')).flatMap((s) => leaves(s.replace(/^\r?\n/, '')));
  }
  const encoding = (headerOf(raw, 'content-transfer-encoding') ?? '7bit').toLowerCase();
  return [{ type, text: decodeBody(body, encoding) }];
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/** Soft line breaks (`=` at a line end) removed, `=XX` turned back into bytes, read as UTF-8. */
export function decodeQuotedPrintable(body: string): string {
  const joined = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function readableText(raw: string): string {
  const parts = leaves(raw).filter((p) => p.type.startsWith('text/'));
  parts.sort((a, b) => Number(b.type.startsWith('text/plain')) - Number(a.type.startsWith('text/plain')));
  return parts.map((p) => p.text).join('\n');
}
