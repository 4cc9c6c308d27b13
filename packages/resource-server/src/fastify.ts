import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { GuestpassAuthError } from './errors.js';
import { type AdapterOptions, authenticate } from './request.js';
import { assertScopes } from './scopes.js';
import type { GuestpassAuth } from './types.js';
import { createVerifier, type VerifyOptions } from './verify.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by the `guestpassFastify` plugin; undefined on an optional route without a token. */
    guestpass: GuestpassAuth | undefined;
  }
}

export interface FastifyGuestpassOptions extends VerifyOptions, AdapterOptions {}

/**
 * Fastify plugin: every route of the scope that registers it (register it inside an
 * encapsulated plugin to protect only that plugin's routes) verifies the access token in an `onRequest` hook and gets
 * `request.guestpass`; refusals are answered with the RFC 6750 status, challenge and body.
 */
export const guestpassFastify: FastifyPluginAsync<FastifyGuestpassOptions> = async (app, options) => {
  const verify = createVerifier(options);
  app.decorateRequest('guestpass', undefined);
  app.addHook('onRequest', async (request, reply) => {
    try {
      request.guestpass = await authenticate(
        verify,
        {
          authorization: request.headers.authorization,
          dpop: request.headers['dpop'],
          method: request.method,
          origin: `${request.protocol}://${request.headers.host ?? 'localhost'}`,
          path: request.url,
        },
        options,
      );
    } catch (error) {
      return refuse(error, reply);
    }
  });
};

/** A route's `preHandler`: 401 without `request.guestpass`, 403 `insufficient_scope` unless the token has every scope. */
export function requireScopesFastify(...scopes: string[]): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      if (!request.guestpass) throw new GuestpassAuthError('TOKEN_MISSING');
      assertScopes(request.guestpass, scopes);
    } catch (error) {
      return refuse(error, reply);
    }
  };
}

// As fastify-plugin does: the hook and decorator belong to the scope that registers the plugin,
// not to a child scope of their own, so the routes beside it are protected.
Object.assign(guestpassFastify, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: '@guestpass/resource-server' });

function refuse(error: unknown, reply: FastifyReply): FastifyReply {
  if (!(error instanceof GuestpassAuthError)) throw error;
  return reply
    .code(error.status)
    .headers({ ...error.headers, 'cache-control': 'no-store' })
    .send(error.toJSON());
}
