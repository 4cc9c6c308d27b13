import type { CoreConfig } from '../../config/index.js';
import { networkField } from '../../shared/network.js';
import type { AccessTokens } from '../access-token.js';
import { type DpopBindingDeps, verifyTokenRequestProof } from '../dpop-binding.js';
import { resolveAudience, resolveScope, scopeRefusedEmitter } from '../scope.js';
import type { Grant } from './types.js';

export interface ClientCredentialsDeps extends DpopBindingDeps {
  accessTokens: Pick<AccessTokens, 'issue'>;
  config: Pick<CoreConfig, 'accessTokenTtl' | 'dpopRequireNonce'>;
}

/**
 * RFC 6749 §4.4: a confidential client gets a token for itself; `sub` is the client id
 * (RFC 9068 §2.2). No refresh token is issued (§4.4.3). A request with a DPoP proof gets a
 * token bound to the proof's key (`cnf.jkt`, `token_type: DPoP`), as RFC 9449 §5 asks of
 * every grant: a client that sent a proof relies on the binding.
 */
export const clientCredentialsGrant = (deps: ClientCredentialsDeps): Grant => ({
  type: 'client_credentials',
  allowsPublicClients: false,
  async handle({ request, body, client }) {
    const refused = scopeRefusedEmitter(
      deps.events,
      () => ({ time: deps.now(), client_id: client.id, subject: client.id, ...networkField(request.ip) }),
      'client_credentials',
    );
    const scope = resolveScope(body.scope, client.scopes, refused);
    const audience = resolveAudience(body, client, deps.issuer());
    // After the other checks, so a request refused for its scope or audience does not use up the proof's jti.
    const jkt = await verifyTokenRequestProof(deps, request);
    const ttlSeconds = client.accessTokenTtl ?? deps.config.accessTokenTtl;
    const issued = deps.accessTokens.issue({
      subject: client.id,
      clientId: client.id,
      audience,
      scope,
      ttlSeconds,
      ...(jkt ? { claims: { cnf: { jkt } } } : {}),
    });
    deps.events.emit('token.issued', {
      time: deps.now(),
      client_id: client.id,
      subject: client.id,
      ...networkField(request.ip),
      grant_type: 'client_credentials',
      jti: issued.jti,
      scope,
      audience,
      expires_at: issued.expiresAt,
    });
    return { access_token: issued.token, token_type: jkt ? 'DPoP' : 'Bearer', expires_in: issued.expiresIn, ...(scope ? { scope } : {}) };
  },
});
