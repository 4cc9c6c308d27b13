import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import type { AppContext } from './context.js';
import { httpError } from '../shared/error-codes.js';
import { GuestpassError } from '../shared/errors.js';

interface ValidationIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

const where: Record<string, string> = { body: 'request body', querystring: 'query string', params: 'URL path', headers: 'headers' };

/** Turns an ajv issue into a sentence that says exactly what to change. */
function describeValidation(issue: ValidationIssue | undefined, context: string | undefined): string {
  const place = where[context ?? 'body'] ?? 'request';
  if (!issue) return `The ${place} is not valid.`;
  const field = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const subject = field ? `Field "${field}"` : `The ${place}`;
  switch (issue.keyword) {
    case 'additionalProperties':
      return `Unknown field "${String(issue.params['additionalProperty'])}" in the ${place}; remove it (see /docs for the accepted fields).`;
    case 'required':
      return `Missing required field "${String(issue.params['missingProperty'])}" in the ${place}.`;
    case 'type':
      return `${subject} must be of type ${String(issue.params['type'])}${issue.params['type'] === 'string' ? ' (a parameter may appear only once)' : ''}.`;
    default:
      return `${subject} ${issue.message ?? 'is not valid'}.`;
  }
}

/** Maps any error to an RFC 6749 §5.2 error object; 5xx never carry internals. */
function toGuestpassError(error: FastifyError): GuestpassError {
  if (error instanceof GuestpassError) return error;
  if (error.validation) {
    return httpError('INVALID_BODY', describeValidation(error.validation[0] as ValidationIssue | undefined, error.validationContext));
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return httpError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpError('BODY_TOO_LARGE');
  }
  const status = error.statusCode ?? 500;
  if (status === 413) return httpError('BODY_TOO_LARGE');
  if (status === 415) return httpError('UNSUPPORTED_MEDIA_TYPE');
  if (status >= 400 && status < 500) return httpError('MALFORMED_BODY');
  return httpError('SERVER_ERROR');
}

function sendError(ctx: AppContext, reply: FastifyReply, mapped: GuestpassError): FastifyReply {
  ctx.metrics.errors.inc({ error: mapped.error, code: mapped.code });
  for (const [name, value] of Object.entries(mapped.headers)) reply.header(name, value);
  if (mapped.status === 401 && !reply.hasHeader('WWW-Authenticate')) reply.header('WWW-Authenticate', 'Bearer realm="guestpass"');
  return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.toJSON());
}

/**
 * The last request each connection carried, and its answer. Node parses a body after its
 * request has been routed, and Fastify may answer first (a GET's body is never read); if the
 * body then turns out malformed, that request already has its answer, and a second one would
 * be read by the client as the answer to its next request (response desync).
 */
const lastExchange = new WeakMap<Socket, { request: IncomingMessage; response: ServerResponse }>();

function alreadyAnswered(socket: Socket): boolean {
  const last = lastExchange.get(socket);
  return last !== undefined && !last.request.complete && last.response.headersSent;
}

/**
 * Fastify options for the failures that happen before routing, where `setErrorHandler` is
 * never reached: the router refusing a URL (`frameworkErrors`) and Node's HTTP parser
 * refusing the request itself (`clientErrorHandler`). Without them Fastify answers with its
 * own `{"statusCode", "message"}` body, which is not an RFC 6749 error object.
 */
export function preRoutingErrorOptions(ctx: AppContext): Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> {
  return {
    frameworkErrors(error, _request, reply) {
      const mapped =
        error.code === 'FST_ERR_BAD_URL'
          ? httpError('MALFORMED_REQUEST', 'The URL path could not be decoded; fix its percent-encoding.')
          : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? httpError('NOT_FOUND')
            : toGuestpassError(error);
      void sendError(ctx, reply, mapped);
    },
    clientErrorHandler(error, socket: Socket) {
      // A reset connection has nobody left to answer (as in Fastify's default handler).
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      const mapped =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? httpError('HEADERS_TOO_LARGE')
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? httpError('REQUEST_TIMEOUT')
            : httpError('MALFORMED_REQUEST');
      ctx.metrics.errors.inc({ error: mapped.error, code: mapped.code });
      if (socket.writable && !alreadyAnswered(socket)) {
        const body = JSON.stringify(mapped.toJSON());
        socket.write(
          `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy(error);
    },
  };
}

/** True when a path or query value (or query name) holds U+0000. */
function holdsNul(values: unknown): boolean {
  if (typeof values !== 'object' || values === null) return false;
  return Object.entries(values).some(
    ([name, value]) => name.includes('\u0000') || [value].flat().some((item) => typeof item === 'string' && item.includes('\u0000')),
  );
}

export function installErrorHandlers(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', (request, reply, done) => {
    lastExchange.set(request.raw.socket, { request: request.raw, response: reply.raw });
    done();
  });
  // %00 decodes to U+0000, which no id or filter holds and PostgreSQL text cannot even be
  // compared with (it fails the query): such URLs are refused before any route reads them.
  app.addHook('preValidation', (request, _reply, done) => {
    if (holdsNul(request.params) || holdsNul(request.query))
      done(httpError('MALFORMED_REQUEST', 'The URL holds a NUL character (%00), which no path segment or query parameter accepts.'));
    else done();
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const mapped = toGuestpassError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(ctx, reply, mapped);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const mapped = httpError(
      'NOT_FOUND',
      `There is no ${request.method} ${request.url.split('?')[0]}; the discovery document at /.well-known/oauth-authorization-server and /docs list the endpoints.`,
    );
    return sendError(ctx, reply, mapped);
  });
}
