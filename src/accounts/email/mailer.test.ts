import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { codeIn, decodeQuotedPrintable, linkIn, startSmtpCapture, type SmtpCapture } from '../../../test/helpers/smtp-capture.js';
import { createMailer, OutboxMailer, passwordResetMail, SmtpMailer, verificationMail } from './index.js';

const FROM = 'Guestpass <no-reply@guestpass.test>';
const ISSUER = 'https://auth.shop.example';

function sampleVerification(code = '482913'): ReturnType<typeof verificationMail> {
  return verificationMail({ code, link: `${ISSUER}/accounts/verify?email=ada%40example.com&code=${code}`, expiresInMinutes: 10, issuer: ISSUER });
}

describe('SmtpMailer', () => {
  let capture: SmtpCapture;
  let mailer: SmtpMailer;
  before(async () => {
    capture = await startSmtpCapture();
    mailer = new SmtpMailer({ url: capture.url, from: FROM });
  });
  after(async () => {
    await mailer.close();
    await capture.stop();
  });

  it('should deliver the subject, text and HTML of a verification mail to one recipient', async () => {
    const content = sampleVerification('482913');
    await mailer.send({ to: 'ada@example.com', ...content });
    const mail = await capture.waitFor((m) => m.to.includes('ada@example.com'));
    assert.deepEqual(mail.to, ['ada@example.com']);
    assert.match(mail.raw, /^Subject: Confirm your e-mail address for auth\.shop\.example\r?$/m);
    assert.match(mail.raw, /^From: Guestpass <no-reply@guestpass\.test>\r?$/m);
    assert.match(mail.raw, /^Content-Type: multipart\/alternative;/m);
    assert.match(mail.raw, /^Content-Type: text\/plain/m);
    assert.match(mail.raw, /^Content-Type: text\/html/m);
    // The code is on a line of its own, short and ASCII, so it travels unencoded.
    assert.ok(mail.raw.includes('482913'));
    assert.equal(codeIn(mail), '482913');
    assert.equal(linkIn(mail), `${ISSUER}/accounts/verify?email=ada%40example.com&code=482913`);
    assert.match(mail.text, /<a href="https:\/\/auth\.shop\.example\/accounts\/verify\?email=ada%40example\.com&amp;code=482913">/);
  });

  it('should deliver a password reset mail whose long link survives quoted-printable line breaks', async () => {
    const link = `${ISSUER}/accounts/password/reset#token=${'Zm9vYmFy'.repeat(12)}`;
    const content = passwordResetMail({ link, code: '771204', expiresInMinutes: 30, issuer: ISSUER });
    await mailer.send({ to: 'grace@example.com', ...content });
    const mail = await capture.waitFor((m) => m.to.includes('grace@example.com'));
    assert.ok(!mail.raw.includes(link), 'on the wire the link is folded with soft line breaks');
    assert.equal(mail.subject, 'Reset your password for auth.shop.example');
    assert.equal(codeIn(mail), '771204');
    assert.equal(linkIn(mail), link);
    assert.match(mail.text, /expire in 30 minutes/);
  });

  it('should refuse a recipient that is a list of addresses, before anything is sent', async () => {
    const before = capture.messages.length;
    for (const to of [
      'victim@example.com, attacker@example.net',
      'victim@example.com;attacker@example.net',
      'Victim <victim@example.com>',
      'victim@example.com\r\nBcc: attacker@example.net',
      'no-at-sign',
    ]) {
      await assert.rejects(mailer.send({ to, ...sampleVerification() }), /single plain e-mail address/, to);
    }
    assert.equal(capture.messages.length, before);
  });

  it('should describe itself without the credentials of the URL', () => {
    const withSecret = new SmtpMailer({ url: 'smtps://mailer:s3cr%40t@smtp.example.com:465', from: FROM });
    assert.equal(withSecret.describe(), 'SMTP smtps://smtp.example.com:465');
    assert.doesNotMatch(withSecret.describe(), /s3cr|mailer:/);
  });

  it('should authenticate with the user and password of the URL', async () => {
    const logins: Array<{ username: string | undefined; password: string | undefined }> = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, callback) {
        logins.push({ username: auth.username, password: auth.password ?? undefined });
        if (auth.username === 'mailer' && auth.password === 's3cr@t') callback(null, { user: auth.username });
        else callback(new Error('bad credentials'));
      },
      onData(stream, _session, callback) {
        stream.resume();
        stream.on('end', () => callback());
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.server.address() as AddressInfo;
    const authenticated = new SmtpMailer({ url: `smtp://mailer:s3cr%40t@127.0.0.1:${port}`, from: FROM });
    try {
      await authenticated.send({ to: 'ada@example.com', ...sampleVerification() });
      assert.deepEqual(logins, [{ username: 'mailer', password: 's3cr@t' }]);
      const wrong = new SmtpMailer({ url: `smtp://mailer:wrong@127.0.0.1:${port}`, from: FROM });
      await assert.rejects(wrong.send({ to: 'ada@example.com', ...sampleVerification() }));
      await wrong.close();
    } finally {
      await authenticated.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('OutboxMailer', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'guestpass-outbox-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('should write each message as an RFC 5322 .eml file in a private folder', async () => {
    const mailer = createMailer({ mailFrom: FROM, dataDir });
    assert.ok(mailer instanceof OutboxMailer);
    const folder = join(dataDir, 'outbox');
    assert.equal(mailer.describe(), folder);

    await mailer.send({ to: 'ada@example.com', ...sampleVerification('305117') });
    await mailer.send({ to: 'ada@example.com', ...sampleVerification('640028') });
    await mailer.close();

    assert.equal((await stat(folder)).mode & 0o777, 0o700);
    const files = (await readdir(folder)).sort();
    assert.equal(files.length, 2);
    for (const file of files) {
      assert.match(file, /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[0-9a-f]{8}\.eml$/);
      assert.equal((await stat(join(folder, file))).mode & 0o777, 0o600);
    }

    // Sorted by name is sorted by time: the first file holds the first code.
    const raw = await readFile(join(folder, files[0] ?? ''), 'utf8');
    const [head = '', body = ''] = raw.split('\r\n\r\n');
    assert.ok(!/[^\r]\n/.test(raw), 'every line ends in CRLF (RFC 5322 §2.1)');
    assert.match(head, /^From: Guestpass <no-reply@guestpass\.test>$/m);
    assert.match(head, /^To: ada@example\.com$/m);
    assert.match(head, /^Subject: Confirm your e-mail address for auth\.shop\.example$/m);
    assert.match(head, /^Date: /m);
    assert.match(head, /^Message-ID: <[^>]+>$/m);
    assert.match(head, /^MIME-Version: 1\.0$/m);
    assert.match(head, /^Content-Type: multipart\/alternative;/m);
    assert.ok(body.length > 0);
    assert.ok(decodeQuotedPrintable(raw).includes('305117'));
    assert.ok(!decodeQuotedPrintable(raw).includes('640028'));
  });

  it('should choose SMTP when an SMTP URL is configured', async () => {
    const mailer = createMailer({ smtpUrl: 'smtp://127.0.0.1:2525', mailFrom: FROM, dataDir });
    assert.ok(mailer instanceof SmtpMailer);
    await mailer.close();
  });

  it('should refuse a recipient list as SMTP does', async () => {
    const mailer = new OutboxMailer({ folder: join(dataDir, 'refused'), from: FROM });
    await assert.rejects(mailer.send({ to: 'a@example.com, b@example.com', ...sampleVerification() }), /single plain/);
  });
});

describe('mail templates', () => {
  const hostile = '<script>alert(1)</script>';

  it('should HTML-escape every value it puts in the HTML body', () => {
    for (const content of [
      verificationMail({ code: hostile, link: `${ISSUER}/v?x="><script>alert(1)</script>`, expiresInMinutes: 10, issuer: hostile }),
      passwordResetMail({ code: hostile, link: `${ISSUER}/r?x='onmouseover='alert(1)`, expiresInMinutes: 10, issuer: hostile }),
    ]) {
      assert.ok(!content.html.includes('<script>'), content.html);
      assert.ok(!content.html.includes("'onmouseover"), content.html);
      assert.ok(content.html.includes('&lt;script&gt;'));
    }
  });

  it('should refuse a link that is not http(s)', () => {
    assert.throws(() => verificationMail({ code: '123456', link: 'javascript:alert(1)', expiresInMinutes: 10, issuer: ISSUER }), /http\(s\)/);
  });

  it('should name the site, the code, the link, the lifetime and what to do if it was not asked for', () => {
    const verification = sampleVerification('918273');
    for (const body of [verification.text, verification.html]) {
      assert.ok(body.includes('918273'));
      assert.ok(body.includes('auth.shop.example'));
      assert.match(body, /expire in 10 minutes/);
      assert.match(body, /did not ask for this, you can ignore/);
      assert.match(body, /confirms your e-mail address and signs you in/);
      assert.match(body, /as a guest/);
    }
    const reset = passwordResetMail({ link: `${ISSUER}/reset#t=abc`, code: '554433', expiresInMinutes: 1, issuer: ISSUER });
    assert.match(reset.text, /expire in 1 minute\./);
    assert.match(reset.text, /your password stays as it is/);
    assert.ok(reset.text.includes(`${ISSUER}/reset#t=abc`));
  });
});
