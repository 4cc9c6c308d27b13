import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { noStore } from '../oauth/index.js';
import { GuestpassError } from '../shared/errors.js';
import { networkOf } from '../shared/network.js';
import type { ConsoleCredential } from './access.js';
import { clearConsoleCookie, readConsoleCookie, setConsoleCookie } from './cookie.js';
import type { ConsoleSession, OperatorService } from './service.js';
import type { ConsoleSessionBody } from './types.js';

const SignInBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 320, description: 'The operator’s account e-mail address.' }),
    password: Type.String({ minLength: 1, maxLength: 1024, description: 'The account’s password.' }),
    totp_code: Type.Optional(Type.String({ maxLength: 16, description: 'The 6-digit code of the authenticator app, when the operator has TOTP on.' })),
  },
  { additionalProperties: false },
);
const CodeBody = Type.Object(
  { code: Type.String({ maxLength: 16, description: 'The 6-digit code the authenticator app shows now.' }) },
  { additionalProperties: false },
);

const OperatorSchema = Type.Object({
  id: Type.String({ description: 'The operator’s user id.' }),
  role: Type.Union([Type.Literal('admin'), Type.Literal('viewer')]),
  totp_enabled: Type.Boolean(),
});
const SessionSchema = Type.Object({
  operator: OperatorSchema,
  csrf_token: Type.String({ description: 'Send it as the X-CSRF-Token header with every POST, PUT, PATCH and DELETE made with the cookie.' }),
  idle_timeout_seconds: Type.Integer({ description: 'The session ends after this long without a request.' }),
});

const tags = ['console'];
const security = [{ console: [] }];
const BODY_LIMIT = 4096;

export interface ConsoleSessionRoutesDeps {
  operators: OperatorService;
  console: ConsoleCredential;
  issuer: () => string;
  now: () => number;
}

/** The console's sign-in, its session and TOTP enrolment: /admin/api/session. */
export async function consoleSessionRoutes(app: FastifyInstance, deps: ConsoleSessionRoutesDeps): Promise<void> {
  const { operators } = deps;
  const body = (session: ConsoleSession): ConsoleSessionBody => ({
    operator: session.operator,
    csrf_token: operators.csrfToken(session.id),
    idle_timeout_seconds: operators.idleTimeoutSeconds,
  });
  const respond = (reply: FastifyReply, session: ConsoleSession) => {
    noStore(reply);
    return body(session);
  };

  app.post<{ Body: Static<typeof SignInBody> }>(
    '/admin/api/session',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        summary: 'Sign in to the console with an operator’s e-mail and password (and TOTP code); sets the HttpOnly console cookie',
        body: SignInBody,
        response: { 200: SessionSchema },
      },
    },
    async (request, reply) => {
      // A sign-in from another site's page would sign the victim's browser into the attacker's session (login CSRF).
      deps.console.refuseCrossSite(request);
      const network = networkOf(request.ip);
      const { email, password, totp_code: totpCode } = request.body;
      const { token, session } = await operators.signIn({ email, password, totpCode, ip: request.ip, network });
      setConsoleCookie(reply, deps.issuer(), token, (session.expiresAt - deps.now()) / 1000);
      return respond(reply, session);
    },
  );

  app.get(
    '/admin/api/session',
    {
      schema: {
        tags,
        security,
        summary: 'The signed-in operator and a CSRF token, or 401 when the console session has ended',
        response: { 200: SessionSchema },
      },
    },
    async (request, reply) => respond(reply, await deps.console.authenticate(request)),
  );

  app.delete(
    '/admin/api/session',
    { schema: { tags, security, summary: 'Sign out: ends the console session and clears the cookie (X-CSRF-Token required)' } },
    async (request, reply) => {
      // Signing out of a session that already ended still clears the browser's cookie.
      if (readConsoleCookie(request, deps.issuer()) !== undefined) {
        const session = await deps.console.authenticate(request).catch((error: unknown) => {
          if (error instanceof GuestpassError && error.status === 401) return undefined;
          throw error;
        });
        if (session) await operators.signOut(session);
      }
      clearConsoleCookie(reply, deps.issuer());
      return reply.code(204).send();
    },
  );

  app.post(
    '/admin/api/session/totp',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        tags,
        security,
        summary: 'Start TOTP enrolment: a new secret and its otpauth:// URI (shown once), on once confirmed with a code',
        response: { 200: Type.Object({ secret: Type.String(), otpauth_uri: Type.String() }) },
      },
    },
    async (request, reply) => {
      const session = await deps.console.authenticate(request);
      const { secret, otpauthUri } = await operators.startTotp(session.operator.id);
      noStore(reply);
      return { secret, otpauth_uri: otpauthUri };
    },
  );

  app.post<{ Body: Static<typeof CodeBody> }>(
    '/admin/api/session/totp/confirm',
    { bodyLimit: BODY_LIMIT, schema: { tags, security, summary: 'Turn TOTP on with a code made from the enrolment’s secret', body: CodeBody } },
    async (request, reply) => {
      const session = await deps.console.authenticate(request);
      await operators.confirmTotp(session.operator.id, request.body.code);
      return reply.code(204).send();
    },
  );

  app.delete<{ Body: Static<typeof CodeBody> }>(
    '/admin/api/session/totp',
    { bodyLimit: BODY_LIMIT, schema: { tags, security, summary: 'Turn TOTP off, proven with a current code', body: CodeBody } },
    async (request, reply) => {
      const session = await deps.console.authenticate(request);
      await operators.disableTotp(session.operator.id, request.body.code);
      return reply.code(204).send();
    },
  );
}
