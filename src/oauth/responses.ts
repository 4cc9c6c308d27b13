import type { FastifyReply } from 'fastify';

/** RFC 6749 §5.1: responses carrying tokens or credentials must not be cached. */
export function noStore(reply: FastifyReply): void {
  reply.header('Cache-Control', 'no-store');
  reply.header('Pragma', 'no-cache');
}

const errorObject = {
  type: 'object',
  description: 'RFC 6749 §5.2 error object',
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  required: ['error', 'error_description'],
};

/** OpenAPI descriptions of the error responses every OAuth endpoint can give. */
export const oauthErrorResponses = {
  400: errorObject,
  401: errorObject,
  429: errorObject,
};
