import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { noStore } from '../../oauth/index.js';
import { ClientFields, guestFromSessionToken, limitByIp, pick, SessionTokenField, TokenRequestFields, type AccountRoutesDeps } from './common.js';

const LinkBody = Type.Object(
  {
    id_token: Type.String({ maxLength: 16_384, description: 'An OpenID Connect ID token from a trusted issuer (GUESTPASS_TRUSTED_ISSUERS).' }),
    nonce: Type.Optional(
      Type.String({
        maxLength: 500,
        description: 'The nonce your app sent in the authorization request; required unless the issuer is configured with require_nonce false.',
      }),
    ),
    session_token: SessionTokenField,
    ...ClientFields,
    ...TokenRequestFields,
  },
  { additionalProperties: false },
);

/** Bring your own identity provider: an ID token logs in, registers, or carries a guest over. */
export async function linkRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const { accounts, idTokens: verifier } = deps;
  app.post<{ Body: Static<typeof LinkBody> }>(
    '/accounts/link/id-token',
    { schema: { tags: ['accounts'], summary: 'Log in with an ID token from a trusted OpenID provider; the guest is promoted or merged', body: LinkBody } },
    async (request, reply) => {
      await limitByIp(deps, request);
      const { body } = request;
      const facts = await deps.oauth.gatherFacts(request, body);
      const guest = await guestFromSessionToken(deps, request, body.session_token, facts);
      const identity = await verifier.verify(body.id_token, pick(body, ['nonce']));
      const { account, outcome } = await accounts.linkIdentity(identity, facts.client, guest, facts.network);
      const tokens = await accounts.issueTokens(facts, account, pick(body, ['scope', 'audience', 'resource']));
      accounts.loginSucceeded(account, tokens, facts.client, 'id_token', facts.network);
      deps.metrics.tokensIssued.inc({ grant_type: 'id_token' });
      noStore(reply);
      return { ...tokens, outcome, is_anonymous: false };
    },
  );
}
