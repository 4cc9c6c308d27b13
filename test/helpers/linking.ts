import type { DatabaseKind } from './databases.js';
import { startOidcIssuer, type OidcIssuer } from './oidc-issuer.js';
import { startTestServer, type TestServer } from './server.js';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.js';

export interface LinkingServer {
  /** A real external OpenID Connect issuer the server trusts. */
  issuer: OidcIssuer;
  /** Captures the verification and reset mail the server sends. */
  smtp: SmtpCapture;
  server: TestServer;
  stop(): Promise<void>;
}

/**
 * A server that trusts a real external issuer's ID tokens and mails through a capture: what the
 * ID-token linking and account tests need, with login throttling lifted so a file's many
 * logins from loopback are not refused.
 */
export async function startLinkingServer(database: DatabaseKind, env: Record<string, string> = {}): Promise<LinkingServer> {
  const [issuer, smtp] = await Promise.all([startOidcIssuer(), startSmtpCapture()]);
  const server = await startTestServer({
    database,
    env: {
      GUESTPASS_SMTP_URL: smtp.url,
      GUESTPASS_LOGIN_RATE_LIMIT_PER_IP: '10000',
      GUESTPASS_TRUSTED_ISSUERS: JSON.stringify([{ issuer: issuer.issuer, audience: issuer.clientId }]),
      ...env,
    },
  });
  return {
    issuer,
    smtp,
    server,
    async stop() {
      await server.stop();
      await issuer.stop();
      await smtp.stop();
    },
  };
}
