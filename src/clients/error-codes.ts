import { defineErrors } from '../shared/errors.js';

export const clientError = defineErrors({
  CLIENT_NOT_FOUND: {
    status: 404,
    error: 'not_found',
    description: 'No client has this id; list clients with `guestpass clients list`.',
  },
  INVALID_CLIENT_METADATA: {
    status: 400,
    error: 'invalid_client_metadata',
    description: 'The client settings are not valid.',
  },
  METADATA_SCHEMA_UNUSABLE: {
    status: 400,
    error: 'invalid_client_metadata',
    description:
      'This client’s guest.metadata_schema cannot be compiled (it was stored before schemas were checked when set), so no metadata can be written; an administrator must correct or remove it with PATCH /admin/api/clients/:id.',
  },
  ORIGIN_NOT_ALLOWED: {
    status: 403,
    error: 'access_denied',
    description: 'This Origin is not one of the client’s allowed origins; add it to the client’s allowed_origins.',
  },
  PREFLIGHT_INVALID: {
    status: 400,
    error: 'invalid_request',
    description: 'A CORS preflight (OPTIONS with an Origin) needs an Access-Control-Request-Method header naming the method of the request to come.',
  },
  PREFLIGHT_NOT_ALLOWED: {
    status: 403,
    error: 'invalid_request',
    description: 'The CORS preflight asks for a method or a request header that Guestpass does not accept from browsers.',
  },
  NOT_CONFIDENTIAL: {
    status: 400,
    error: 'invalid_request',
    description: 'Only confidential clients have secrets to rotate.',
  },
});
