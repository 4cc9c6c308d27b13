import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../app/context.js';
import type { Client } from '../../clients/index.js';
import type { ClientAuthMethod } from '../client-auth.js';
import type { TokenRequestBody } from '../token-schema.js';

/** RFC 6749 §5.1 successful response, plus the extra members a grant may add. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  [extra: string]: unknown;
}

export interface GrantRequest {
  ctx: AppContext;
  request: FastifyRequest;
  body: TokenRequestBody;
  client: Client;
  authMethod: ClientAuthMethod;
}

/**
 * One grant type: one file that exports one of these, listed in grants/index.ts when it is
 * oauth's own, or handed to oauthFeature by app/ when another feature provides it.
 */
export interface Grant {
  type: string;
  /** Public clients (authentication method `none`) may use it. */
  allowsPublicClients: boolean;
  handle(grant: GrantRequest): Promise<TokenResponse>;
}
