import { finished, PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { httpError } from '../shared/error-codes.js';
import type { GuestpassError } from '../shared/errors.js';

/**
 * Bytes beyond an endpoint's body limit that are read and thrown away before the 413 goes out.
 * A client is usually still uploading when the server refuses its body; closing the socket with
 * its bytes unread makes the kernel answer with a reset, and most clients (fetch, node:http)
 * then report EPIPE or ECONNRESET and never see the 413. Past this many bytes the connection
 * is closed at once: the client keeps the reset, and the server stops spending bandwidth.
 */
const DRAIN_BEYOND_LIMIT = 8 * 1_048_576;

function tooLarge(limit: number, headers: Record<string, string> = {}): GuestpassError {
  return httpError('BODY_TOO_LARGE', `The request body is larger than the ${limit} bytes this endpoint accepts.`, headers);
}

/**
 * Reads an over-limit body whose Content-Length is known to its end, then refuses it. A client
 * that goes away meanwhile gets the same refusal, sent nowhere (not a 500 in the log).
 */
function drainThenRefuse(payload: Readable, limit: number, done: (error: Error) => void): void {
  finished(payload, () => done(tooLarge(limit)));
  payload.resume();
}

/**
 * A chunked body (no Content-Length) as Fastify's parser reads it: the bytes up to the limit
 * pass; past it they are thrown away until the body ends, and only then does the stream fail
 * with 413, so the answer is sent on a connection with nothing left unread.
 */
function capChunkedBody(payload: Readable, limit: number): Readable {
  const capped = new PassThrough();
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received <= limit) capped.write(chunk);
    else if (received > limit + DRAIN_BEYOND_LIMIT) {
      payload.off('data', onData);
      capped.destroy(tooLarge(limit, { Connection: 'close' }));
    }
  };
  payload.on('data', onData);
  finished(payload, (error) => {
    if (error) capped.destroy(error);
    else if (received > limit) capped.destroy(tooLarge(limit));
    else capped.end();
  });
  return capped;
}

/**
 * Over-limit bodies get a 413 the client can read (RFC 9110 §15.5.14): a preParsing hook drains
 * them (up to DRAIN_BEYOND_LIMIT) before the refusal instead of Fastify's answer-and-close.
 * Node's request timeout still bounds how long the draining may take.
 */
export function refuseOversizeBodiesReadably(app: FastifyInstance): void {
  app.addHook('preParsing', (request: FastifyRequest, _reply, payload, done) => {
    const { method, headers } = request;
    // Fastify never parses the body of a GET or HEAD: Node reads and drops it after the answer.
    const bodyless = headers['content-length'] === undefined && headers['transfer-encoding'] === undefined;
    if (bodyless || method === 'GET' || method === 'HEAD') return done(null, payload);
    const limit = request.routeOptions.bodyLimit;
    const declared = Number(headers['content-length']);
    if (declared > limit + DRAIN_BEYOND_LIMIT) done(tooLarge(limit, { Connection: 'close' }));
    else if (declared > limit) drainThenRefuse(payload, limit, done);
    else if (Number.isNaN(declared)) done(null, capChunkedBody(payload, limit));
    else done(null, payload);
  });
}
