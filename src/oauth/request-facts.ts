import type { FastifyRequest } from 'fastify';
import { checkClientOrigin, type Client } from '../clients/index.js';
import { networkField, type NetworkInfo } from '../shared/network.js';
import type { ClientAuthenticator } from './client-auth.js';
import { type DpopBindingDeps, verifyTokenRequestProof } from './dpop-binding.js';

/**
 * What the caller of a token-issuing endpoint proved about the request, gathered by the route
 * before a service runs: /oauth/token's grants, /anonymous/token and the account endpoints
 * that answer with tokens all start from these facts.
 */
export interface RequestFacts {
  client: Client;
  /** Coarse network of the caller, for events and the session row. */
  network?: NetworkInfo;
  /** RFC 7638 thumbprint of a verified DPoP proof key, when the request carried a proof. */
  dpopJkt?: string;
}

export interface RequestFactsDeps extends DpopBindingDeps {
  clientAuth: Pick<ClientAuthenticator, 'authenticate'>;
}

/** Client authentication, the Origin rule for browsers, and the DPoP proof, if any. */
export async function gatherFacts(
  deps: RequestFactsDeps,
  request: FastifyRequest,
  body: { client_id?: string | undefined; client_secret?: string | undefined },
): Promise<RequestFacts> {
  const { client } = await deps.clientAuth.authenticate(request, body);
  if (client.type === 'public') checkClientOrigin(client, request);
  const dpopJkt = await verifyTokenRequestProof(deps, request);
  return { client, ...networkField(request.ip), ...(dpopJkt ? { dpopJkt } : {}) };
}
