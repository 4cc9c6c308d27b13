import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GuestpassAuthError } from './errors.js';
import { type AdapterOptions, authenticate } from './request.js';
import { assertScopes } from './scopes.js';
import type { GuestpassAuth } from './types.js';
import { createVerifier, type VerifyOptions } from './verify.js';

declare global {
  namespace Express {
    interface Request {
      /** The verified caller, set by `guestpassExpress()`. */
      guestpass?: GuestpassAuth;
    }
  }
}

export interface ExpressGuestpassOptions extends VerifyOptions, AdapterOptions {
  /** Hand refusals to `next(error)` (a `GuestpassAuthError`) instead of answering them here. @default false */
  passErrors?: boolean;
}

/**
 * Express middleware: verifies the access token (and DPoP proof) and sets `req.guestpass`;
 * refuses with the RFC 6750 status, `WWW-Authenticate` challenge and
 * `{error, error_description}` body.
 */
export function guestpassExpress(options: ExpressGuestpassOptions): RequestHandler {
  const verify = createVerifier(options);
  return (request, response, next) => {
    const facts = {
      authorization: request.headers.authorization,
      dpop: request.headers['dpop'],
      method: request.method,
      origin: `${request.protocol}://${request.get('host') ?? 'localhost'}`,
      path: request.originalUrl,
    };
    authenticate(verify, facts, options).then(
      (auth) => {
        if (auth) request.guestpass = auth;
        next();
      },
      (error: unknown) => refuse(error, response, next, options.passErrors),
    );
  };
}

/** A route guard: 401 without `req.guestpass`, 403 `insufficient_scope` unless the token has every scope. */
export function requireScopesExpress(...scopes: string[]): RequestHandler {
  return (request, response, next) => {
    try {
      if (!request.guestpass) throw new GuestpassAuthError('TOKEN_MISSING');
      assertScopes(request.guestpass, scopes);
      next();
    } catch (error) {
      refuse(error, response, next, false);
    }
  };
}

function refuse(error: unknown, response: Response, next: NextFunction, passErrors = false): void {
  if (!(error instanceof GuestpassAuthError) || passErrors) {
    next(error);
    return;
  }
  response.status(error.status).set(error.headers).set('cache-control', 'no-store').json(error.toJSON());
}

export type { Request as ExpressRequest };
