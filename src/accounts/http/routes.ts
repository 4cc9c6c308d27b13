import { networkField } from '../../shared/network.js';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { noStore } from '../../oauth/index.js';
import type { GuestTokenResponse } from '../../sessions/index.js';
import { accountError } from '../error-codes.js';
import { MAIL_SENT_RESPONSE, type Verified } from '../service.js';
import {
  ClientFields,
  Email,
  guestFromSessionToken,
  limitByIp,
  Password,
  pick,
  SessionTokenField,
  TokenRequestFields,
  type AccountRoutesDeps,
} from './common.js';
import { logInWithPassword } from './password-login.js';

const SignupBody = Type.Object(
  { email: Email, password: Type.Optional(Password), session_token: SessionTokenField, ...ClientFields },
  { additionalProperties: false },
);
const VerifyBody = Type.Object(
  {
    email: Type.Optional(Email),
    code: Type.Optional(Type.String({ maxLength: 16, description: 'The 6-digit code from the mail.' })),
    token: Type.Optional(Type.String({ maxLength: 200, description: 'The token from the mail’s link, instead of email and code.' })),
    ...ClientFields,
    ...TokenRequestFields,
  },
  { additionalProperties: false },
);
const LoginBody = Type.Object(
  { email: Email, password: Type.String({ maxLength: 1024 }), session_token: SessionTokenField, ...ClientFields, ...TokenRequestFields },
  { additionalProperties: false },
);
const ConvertBody = Type.Object({ email: Email }, { additionalProperties: false });

type SignupBody = Static<typeof SignupBody>;
type VerifyBody = Static<typeof VerifyBody>;
type LoginBody = Static<typeof LoginBody>;

/** Sign-up with verification, login, and the guest's convert-first path. */
export async function accountRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const { accounts } = deps;
  const tags = ['accounts'];

  app.post<{ Body: SignupBody }>(
    '/accounts/signup',
    { schema: { tags, summary: 'Register an address (202 whatever the address; a code and a link are mailed)', body: SignupBody } },
    async (request, reply) => {
      await limitByIp(deps, request);
      const facts = await deps.oauth.gatherFacts(request, request.body);
      const { client } = facts;
      const guest = await guestFromSessionToken(deps, request, request.body.session_token, facts);
      if (guest && !(await accounts.isLiveGuest(guest.userId))) throw accountError('NOT_A_GUEST');
      await accounts.signUp({
        email: request.body.email,
        ...pick(request.body, ['password']),
        ...(guest ? { guest } : {}),
        client,
        ...networkField(request.ip),
      });
      return reply.code(202).send(MAIL_SENT_RESPONSE);
    },
  );

  app.post<{ Body: VerifyBody }>(
    '/accounts/verify',
    { schema: { tags, summary: 'Prove the address with the mailed code (or link token); promotes or merges the guest and returns tokens', body: VerifyBody } },
    async (request, reply) => {
      await limitByIp(deps, request);
      const { body } = request;
      const facts = await deps.oauth.gatherFacts(request, body);
      let verified: Verified;
      if (body.token !== undefined && body.email === undefined && body.code === undefined) verified = await accounts.verifyLink(body.token, facts.network);
      else if (body.token === undefined && body.email !== undefined && body.code !== undefined)
        verified = await accounts.verifyCode(body.email, body.code, facts.network);
      else throw accountError('INVALID_CODE', 'Send either email and code, or the token from the link.');
      const tokens = await accounts.issueTokens(facts, verified.account, pick(body, ['scope', 'audience', 'resource']));
      return respondWithTokens(deps, reply, { ...tokens, outcome: verified.outcome, is_anonymous: false });
    },
  );

  app.post<{ Body: LoginBody }>(
    '/accounts/login',
    { schema: { tags, summary: 'Log in with e-mail and password; a presented guest session is merged into the account', body: LoginBody } },
    async (request, reply) => {
      await limitByIp(deps, request);
      const { body } = request;
      const facts = await deps.oauth.gatherFacts(request, body);
      const guest = await guestFromSessionToken(deps, request, body.session_token, facts);
      const { account, merged } = await logInWithPassword(deps, {
        email: body.email,
        password: body.password,
        client: facts.client,
        ...(guest ? { guest } : {}),
        ...networkField(request.ip),
      });
      const tokens = await accounts.issueTokens(facts, account, pick(body, ['scope', 'audience', 'resource']));
      accounts.loginSucceeded(account, tokens, facts.client, 'password', facts.network);
      deps.metrics.tokensIssued.inc({ grant_type: 'password' });
      return respondWithTokens(deps, reply, { ...tokens, is_anonymous: false, ...(merged && guest ? { merged_guest_id: guest.userId } : {}) });
    },
  );

  app.post<{ Body: Static<typeof ConvertBody> }>(
    '/anonymous/convert',
    {
      schema: {
        tags: ['guest sessions'],
        summary: 'Attach an address to the calling guest; it is promoted once the mailed code is verified',
        body: ConvertBody,
      },
    },
    async (request, reply) => {
      await limitByIp(deps, request);
      const caller = await deps.sessions.resolveSessionCaller(request);
      if (!(await accounts.isLiveGuest(caller.session.uid))) throw accountError('NOT_A_GUEST');
      const guest = { userId: caller.session.uid, sessionId: caller.session.sid, clientId: caller.session.cid };
      await accounts.convert({ email: request.body.email, guest, ...networkField(request.ip) });
      return reply.code(202).send(MAIL_SENT_RESPONSE);
    },
  );
}

function respondWithTokens(deps: Pick<AccountRoutesDeps, 'oauth'>, reply: FastifyReply, body: GuestTokenResponse & Record<string, unknown>) {
  noStore(reply);
  deps.oauth.advertiseDpopNonce(reply);
  return body;
}
