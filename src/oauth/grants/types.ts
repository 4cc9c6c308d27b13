import type { FastifyRequest } from 'fastify';
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
  request: FastifyRequest;
  body: TokenRequestBody;
  client: Client;
  authMethod: ClientAuthMethod;
}

/**
 * One grant type: one file that builds one of these from what it uses, oauth's own made by
 * oauth's factory, another feature's handed to oauth by app/ (see OauthPlugins).
 */
export interface Grant {
  type: string;
  /** Public clients (authentication method `none`) may use it. */
  allowsPublicClients: boolean;
  handle(grant: GrantRequest): Promise<TokenResponse>;
}
