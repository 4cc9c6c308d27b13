import type { FastifyInstance } from 'fastify';
import { httpError } from './error-codes.js';

/** The JSON media types a request body may have; merge patches (RFC 7396) are JSON too. */
const JSON_TYPES = ['application/json', 'application/merge-patch+json'];

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `maxDepth` objects and arrays inside one another. One pass,
 * no recursion, brackets inside strings ignored. Malformed JSON may count wrong; JSON.parse
 * refuses it next anyway.
 */
function nestsDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

/**
 * Refuses client JSON nested deeper than `maxDepth` (GUESTPASS_JSON_MAX_DEPTH) before anything
 * walks it: validation, merge patches, scrubbing and serialisation all recurse, and a body of
 * a few kilobytes can nest thousands of levels and overflow the stack (a 500 for everyone on
 * that code path). `where` names the JSON in the error: "request body", "metadata", "events".
 */
function checkJsonDepth(text: string, maxDepth: number, where = 'request body'): void {
  if (nestsDeeperThan(text, maxDepth)) {
    throw httpError(
      'JSON_TOO_DEEP',
      `The JSON in the ${where} nests objects and arrays more than ${maxDepth} levels deep, the most this server accepts; flatten it.`,
    );
  }
}

export interface ClientJsonOptions {
  /** GUESTPASS_JSON_MAX_DEPTH. */
  maxDepth: number;
  /** Names the JSON in the error, e.g. "metadata field". */
  where: string;
  /** The error for text that is not JSON at all. */
  invalid: () => Error;
}

/** JSON.parse for JSON that clients send inside other bodies (form fields): the depth check first. */
export function parseClientJson(text: string, { maxDepth, where, invalid }: ClientJsonOptions): unknown {
  checkJsonDepth(text, maxDepth, where);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid();
  }
}

/**
 * The parsers for JSON request bodies (application/json and application/merge-patch+json):
 * the depth check, then Fastify's own JSON parser, which keeps refusing `__proto__` and
 * `constructor.prototype` keys (prototype poisoning).
 */
export function registerJsonParsers(app: FastifyInstance, { maxDepth }: { maxDepth: number }): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    try {
      checkJsonDepth(text, maxDepth);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    parse(request, text, done);
  });
}
