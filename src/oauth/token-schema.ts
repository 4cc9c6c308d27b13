import { Type, type Static } from '@sinclair/typebox';

const param = (description: string) => Type.Optional(Type.String({ maxLength: 8192, description }));

/**
 * Parameters of the token endpoint. Unknown parameters are ignored, as RFC 6749 §3.1
 * requires of OAuth endpoints; a repeated parameter is refused (it arrives as an array).
 */
export const TokenRequestSchema = Type.Object(
  {
    grant_type: Type.String({ maxLength: 200, description: 'client_credentials, refresh_token or urn:ietf:params:oauth:grant-type:device_code' }),
    client_id: param('The client id (public clients, or with client_secret_post).'),
    client_secret: param('client_secret_post authentication.'),
    scope: param('Space-separated scopes; all of the client’s scopes when absent.'),
    audience: param('The `aud` of the token; one of the client’s audiences.'),
    resource: param('RFC 8707 alternative to audience.'),
    refresh_token: param('The session token, for grant_type=refresh_token.'),
    device_code: param('The device code, for grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4).'),
  },
  { additionalProperties: true },
);

export type TokenRequestBody = Static<typeof TokenRequestSchema>;

/**
 * Parameters of the revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1) endpoints:
 * the token, an optional hint, and client_secret_post credentials. Unrecognized parameters are
 * ignored (RFC 6749 §3.1).
 */
export const TokenParameterSchema = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 16384 }),
    token_type_hint: Type.Optional(Type.String({ maxLength: 100 })),
    client_id: param('The client id (public clients, or with client_secret_post).'),
    client_secret: param('client_secret_post authentication.'),
  },
  { additionalProperties: true },
);

export type TokenParameterBody = Static<typeof TokenParameterSchema>;
