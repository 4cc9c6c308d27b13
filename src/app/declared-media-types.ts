import type { FastifyInstance, preParsingHookHandler } from 'fastify';
import { httpError } from '../shared/error-codes.js';

/**
 * Makes a route's declared `consumes` the rule. Fastify uses it only for the OpenAPI document
 * and parses any body it has a parser for, so a form-only page (the device verification form,
 * guarded by a CSRF token meant for forms) also took JSON. A body of an undeclared type is now
 * refused with 415 before it is parsed, with the types the route takes. Routes that declare
 * nothing keep every registered parser. Register before the routes: onRoute sees only routes
 * declared after it.
 */
export function enforceDeclaredMediaTypes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const consumes = (route.schema as { consumes?: readonly string[] } | undefined)?.consumes;
    if (!consumes || consumes.length === 0) return;
    const accepted = new Set(consumes.map((type) => type.toLowerCase()));
    const refuseOthers: preParsingHookHandler = (request, _reply, payload, done) => {
      const header = request.headers['content-type'];
      // No Content-Type: no body to judge, or Fastify's own 415 for a body without a type.
      if (header === undefined) return done(null, payload);
      const mediaType = header.split(';', 1)[0]!.trim().toLowerCase();
      if (accepted.has(mediaType)) return done(null, payload);
      done(httpError('UNSUPPORTED_MEDIA_TYPE', `This endpoint takes a body of type ${[...accepted].join(' or ')}, not ${mediaType || 'an empty type'}.`));
    };
    const existing = route.preParsing;
    route.preParsing = existing === undefined ? [refuseOthers] : [refuseOthers, ...(Array.isArray(existing) ? existing : [existing])];
  });
}
