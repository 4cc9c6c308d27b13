import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DpopViolation } from '../dpop/index.js';
import type { AccessTokenClaims, AccessTokens } from './access-token.js';
import type { AccessTokenCheck, PresentedToken, RequireAccessTokenOptions } from './bearer.js';
import type { ClientAuthenticator, ClientCredentialsInput } from './client-auth.js';
import type { DpopSubject } from './dpop-binding.js';
import type { RequestFacts } from './request-facts.js';
import type { RevocationStore } from './revocation-store.js';

/**
 * The OAuth 2.0 core as other features use it, built once by createOauth: a feature names the
 * members it needs (`Pick<OauthApi, ...>`) in its own dependencies.
 */
export interface OauthApi {
  /** Mints and verifies RFC 9068 access tokens. */
  accessTokens: AccessTokens;
  /** Client authentication (RFC 6749 §2.3), for endpoints that take client credentials. */
  clientAuth: ClientAuthenticator;
  /** The denylist of revoked access tokens (purged by the server). */
  revocations: RevocationStore;
  /** A preHandler for Guestpass's own resource endpoints (see bearer.ts). */
  requireAccessToken(options?: RequireAccessTokenOptions): AccessTokenCheck;
  /** Checks a presented access token at a resource endpoint: signature, liveness, DPoP, scopes. */
  verifyResourceToken(request: FastifyRequest, presented: PresentedToken, scopes?: string[]): Promise<AccessTokenClaims>;
  /** The facts of a token request: the authenticated client, its Origin, the DPoP key. */
  gatherFacts(request: FastifyRequest, body: ClientCredentialsInput): Promise<RequestFacts>;
  /** The thumbprint of a token request's DPoP proof, if it carried one (RFC 9449 §5). */
  verifyTokenRequestProof(request: FastifyRequest): Promise<string | undefined>;
  /** A fresh DPoP nonce on a token response, when nonces are required (RFC 9449 §8.2). */
  advertiseDpopNonce(reply: FastifyReply): void;
  /** This request's URL as a DPoP proof's `htu` names it. */
  publicUrl(request: FastifyRequest): string;
  /** Turns DPoP violations into their domain events. */
  dpopViolationReporter(request: FastifyRequest, who?: DpopSubject): (violation: DpopViolation) => void;
}
