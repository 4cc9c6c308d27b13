import { networkField } from '../../shared/network.js';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { GuestpassError } from '../../shared/errors.js';
import { MAIL_SENT_RESPONSE } from '../service.js';
import { ClientFields, Email, limitByIp, Password, type AccountRoutesDeps } from './common.js';
import { confirmEmailPage, resetPasswordPage, resultPage } from './pages.js';

const TokenQuery = Type.Object({ token: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const LinkForm = Type.Object({ token: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const SetPasswordBody = Type.Object({ password: Password }, { additionalProperties: false });
const ForgotBody = Type.Object({ email: Email, ...ClientFields }, { additionalProperties: false });
// No session_token field: a reset proves the address, not the device, so it never carries a guest over.
const ResetBody = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 200, description: 'The token from the reset link.' })),
    email: Type.Optional(Email),
    code: Type.Optional(Type.String({ maxLength: 16, description: 'The 6-digit code from the reset mail, with email.' })),
    password: Password,
  },
  { additionalProperties: false },
);

/** Mailed-link pages, the convert-first password, and password reset. */
export async function passwordRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const { accounts } = deps;
  const tags = ['accounts'];

  app.get<{ Querystring: Static<typeof TokenQuery> }>(
    '/accounts/verify',
    { schema: { tags, summary: 'The page a verification link opens (a button; the POST does the work)', querystring: TokenQuery } },
    async (request, reply) => confirmEmailPage(reply, request.query.token),
  );

  app.post<{ Body: Static<typeof LinkForm> }>(
    '/accounts/verify/link',
    { schema: { tags, summary: 'Confirms an address from the link’s page (HTML form)', body: LinkForm } },
    async (request, reply) => {
      await limitByIp(deps, request);
      try {
        await accounts.verifyLink(request.body.token, networkField(request.ip).network);
        return resultPage(reply, 200, 'Address confirmed', 'Your e-mail address is confirmed. You can go back to the app.');
      } catch (error) {
        if (error instanceof GuestpassError && error.status < 500) return resultPage(reply, error.status, 'This link cannot be used', error.message);
        throw error;
      }
    },
  );

  app.post<{ Body: Static<typeof SetPasswordBody> }>(
    '/accounts/password/set',
    {
      preHandler: deps.oauth.requireAccessToken(),
      schema: { tags, summary: 'Set the first password of a user who converted without one', security: [{ bearer: [] }], body: SetPasswordBody },
    },
    async (request, reply) => {
      await accounts.setFirstPassword(request.accessToken?.sub ?? '', request.body.password);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: Static<typeof ForgotBody> }>(
    '/accounts/password/forgot',
    { schema: { tags, summary: 'Mail a reset link and code (202 whatever the address)', body: ForgotBody } },
    async (request, reply) => {
      await limitByIp(deps, request);
      const { client } = await deps.oauth.gatherFacts(request, request.body);
      await accounts.forgotPassword(request.body.email, client);
      return reply.code(202).send(MAIL_SENT_RESPONSE);
    },
  );

  app.get<{ Querystring: Static<typeof TokenQuery> }>(
    '/accounts/password/reset',
    { schema: { tags, summary: 'The page a reset link opens', querystring: TokenQuery } },
    async (request, reply) => resetPasswordPage(reply, request.query.token),
  );

  app.post<{ Body: Static<typeof ResetBody> }>(
    '/accounts/password/reset',
    { schema: { tags, summary: 'Set a new password with the reset link’s token or the mailed code; ends every session of the account', body: ResetBody } },
    async (request, reply) => {
      await limitByIp(deps, request);
      const fromForm = request.headers['content-type']?.startsWith('application/x-www-form-urlencoded') === true;
      try {
        const userId = await accounts.resetPassword(request.body, networkField(request.ip).network);
        if (fromForm) return resultPage(reply, 200, 'Password changed', 'Your password is changed. Sign in again in the app.');
        return { status: 'password_reset', user_id: userId };
      } catch (error) {
        if (fromForm && error instanceof GuestpassError && error.status < 500)
          return resultPage(reply, error.status, 'The password was not changed', error.message);
        throw error;
      }
    },
  );
}
