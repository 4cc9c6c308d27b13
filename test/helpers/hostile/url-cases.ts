import { ORIGIN } from '../guests.js';
import type { Baseline } from './baselines.js';
import { type Generator, naturalBody, queryString, range, variant } from './build.js';
import type { HostileRequest } from './send.js';

/** Hostile request lines: methods, queries, paths, and bytes that are barely HTTP. */

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'PURGE', 'M-SEARCH', 'LINK', 'UNLOCK'];

/**
 * Methods no route of this path takes (those that some route takes get their own catalogue,
 * and would delete what the others need), HEAD, and CORS preflights (RFC 9110 §9, Fetch §3.2).
 */
export const methods: Generator = (base, { routes }) => {
  const taken = new Set(routes.filter((route) => route.url === base.route.url).map((route) => route.method));
  const preflight = (label: string, headers: [string, string][]) => variant(base, label, { method: 'OPTIONS', headers, body: null });
  return [
    ...METHODS.filter((method) => method === 'HEAD' || !taken.has(method)).map((method) => variant(base, `method ${method}`, { method })),
    variant(base, 'method OPTIONS without a body', { method: 'OPTIONS', body: null }),
    preflight('a preflight from the allowed origin', [
      ['origin', ORIGIN],
      ['access-control-request-method', base.route.method],
    ]),
    preflight('a preflight from another origin', [
      ['origin', 'https://evil.example'],
      ['access-control-request-method', base.route.method],
    ]),
    preflight('a preflight from origin null', [
      ['origin', 'null'],
      ['access-control-request-method', base.route.method],
    ]),
    preflight('a preflight from a 5,000-character origin', [
      ['origin', `https://${'a'.repeat(5_000)}.example`],
      ['access-control-request-method', base.route.method],
    ]),
    preflight('a preflight for a junk method', [
      ['origin', ORIGIN],
      ['access-control-request-method', 'J U N K'],
    ]),
    preflight('a preflight for junk headers', [
      ['origin', ORIGIN],
      ['access-control-request-method', base.route.method],
      ['access-control-request-headers', 'x-a, , ,,\u00ff, __proto__'],
    ]),
    preflight('a preflight without a method', [['origin', ORIGIN]]),
  ];
};

const GENERIC_QUERIES = [
  '%zz',
  '%',
  'a=%E0%A4%A',
  '=',
  '&&&',
  '=&=&=',
  'a&a&a',
  'a[b]=1',
  'a[]=1&a[]=2',
  '%00=%00',
  'a=%ff',
  'a=%ed%a0%80',
  '?a=1',
  'a=1?b=2',
  'a=1;b=2',
  '+=+',
  range(1_000)
    .map((index) => `p${index}=1`)
    .join('&'),
  `a=${'x'.repeat(4_000)}`,
];

const PARAMETER_VALUES: [string, string][] = [
  ['twice', '1&{}=2'],
  ['empty', ''],
  ['NUL', '%00'],
  ['invalid UTF-8', '%ff%c0%af'],
  ['1e309', '1e309'],
  ['__proto__', '__proto__'],
  ['300 characters', 'x'.repeat(300)],
  ['an array', '1&{}[]=2'],
];

/** Malformed query strings, and each declared parameter given values of the wrong kind. */
export const queryStrings: Generator = (base) => {
  const valid = queryString(base.query);
  const withValid = (text: string) => [valid, text].filter(Boolean).join('&');
  return [
    ...GENERIC_QUERIES.map((text) => variant(base, `query ${JSON.stringify(text.slice(0, 40))}`, { query: withValid(text) })),
    ...base.route.queryParams.flatMap((name) => {
      const others = queryString(base.query.filter(([key]) => key !== name));
      return PARAMETER_VALUES.map(([label, value]) =>
        variant(base, `query ${name} ${label}`, { query: [others, `${name}=${value.replace('{}', name)}`].filter(Boolean).join('&') }),
      );
    }),
  ];
};

const PARAMETERS = [
  '..',
  '..%2F..%2Fadmin',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%2F',
  '%00',
  '%ff',
  '%zz',
  '%',
  '__proto__',
  'constructor',
  'x'.repeat(65),
  'x'.repeat(129),
  'x'.repeat(5_000),
  '%20',
  '+',
  ';',
  '.',
  '%C0%AF',
  '%E2%80%AE',
  '*',
  '-1',
  '1e309',
  'null',
  '%5C..%5C..%5Cwindows',
  ':id',
];

/** Path parameters with traversal and junk, and the route's own path bent out of shape. */
export const paths: Generator = (base, { fixtures }) => {
  const segments = base.path.split('/');
  const parameters = base.route.url
    .split('/')
    .map((segment, index) => (segment.startsWith(':') ? index : -1))
    .filter((index) => index >= 0);
  const withSegment = (index: number, value: string) => segments.map((segment, at) => (at === index ? value : segment)).join('/');
  const [, first = '', ...rest] = segments;
  const bent: [string, string][] = [
    ['a trailing slash', `${base.path}/`],
    ['a double leading slash', `/${base.path}`],
    ['a dot segment', `/${first}/./${rest.join('/')}`],
    ['upper case', base.path.toUpperCase()],
    ['an encoded slash', `/${first}%2F${rest.join('/')}`],
    ['a parent segment after it', `${base.path}/..`],
    ['encoded parent segments after it', `${base.path}/%2e%2e/%2e%2e/admin/api/clients`],
    ['a matrix parameter', `${base.path};jsessionid=1`],
    ['a NUL after it', `${base.path}%00.json`],
    ['a percent-encoded letter', `/${first.replace(/^(.)/, (letter) => `%${letter.charCodeAt(0).toString(16)}`)}/${rest.join('/')}`],
    ['backslashes', base.path.replaceAll('/', '\\')],
    ['absolute form on this server', `${fixtures.issuer}${base.path}`],
    ['absolute form on another host', `http://evil.example${base.path}`],
  ];
  return [
    ...parameters.flatMap((index) =>
      PARAMETERS.map((value) =>
        variant(base, `:${base.route.url.split('/')[index]?.slice(1)} = ${JSON.stringify(value.slice(0, 30))}`, { path: withSegment(index, value) }),
      ),
    ),
    ...bent.map(([label, path]) => variant(base, `path with ${label}`, { path })),
  ];
};

/** The valid request as raw HTTP/1.1 lines, with `Connection: close` so the server ends it. */
interface RawParts {
  method?: string;
  target?: string;
  version?: string;
  extra?: string[];
  body?: Buffer | string;
  /** The Content-Length value; null sends none. @default the body's length */
  contentLength?: string | null;
}

function rawRequest(
  base: Baseline,
  { method = base.route.method, target = base.path, version = 'HTTP/1.1', extra = [], body = naturalBody(base).body, contentLength }: RawParts,
): Buffer {
  const { type } = naturalBody(base);
  const length = contentLength === undefined ? String(Buffer.byteLength(body)) : contentLength;
  const lines = [
    `${method} ${target} ${version}`,
    'Host: 127.0.0.1',
    ...base.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Type: ${type}`,
    ...(length === null ? [] : [`Content-Length: ${length}`]),
    ...extra,
    'Connection: close',
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(body)]);
}

/** Requests node:http would refuse to write: framing, header syntax and request-line abuse. */
export const rawHttp: Generator = (base) => {
  const { body } = naturalBody(base);
  const chunked = `${body.length.toString(16)}\r\n${body.toString('latin1')}\r\n0\r\n\r\n`;
  const raw = (label: string, bytes: Buffer): HostileRequest => ({ label, method: base.route.method, target: base.path, headers: [], raw: bytes });
  return [
    raw('a NUL in a header value', rawRequest(base, { extra: ['X-Hostile: a\u0000b'] })),
    raw('a space before the colon', rawRequest(base, { extra: ['X-Hostile : x'] })),
    raw('an obs-fold continuation line', rawRequest(base, { extra: ['X-Hostile: a', '  folded'] })),
    raw('a header line without a colon', rawRequest(base, { extra: ['Hostile'] })),
    raw('two different Content-Lengths', rawRequest(base, { extra: [`Content-Length: ${body.length + 1}`] })),
    raw('Content-Length beside Transfer-Encoding', rawRequest(base, { extra: ['Transfer-Encoding: chunked'], body: chunked })),
    raw(
      'a chunk size that is not hex',
      rawRequest(base, { contentLength: null, extra: ['Transfer-Encoding: chunked'], body: `zz\r\n${body.toString('latin1')}\r\n0\r\n\r\n` }),
    ),
    raw(
      'chunked, with junk extensions',
      rawRequest(base, { contentLength: null, extra: ['Transfer-Encoding: chunked'], body: chunked.replace('\r\n', ';a=";\x01\r\n') }),
    ),
    raw('Transfer-Encoding gzip, chunked', rawRequest(base, { contentLength: null, extra: ['Transfer-Encoding: gzip, chunked'], body: chunked })),
    raw('a negative Content-Length', rawRequest(base, { contentLength: '-1' })),
    raw('Content-Length 1e3', rawRequest(base, { contentLength: '1e3' })),
    raw('HTTP/1.0 without Host', Buffer.from(`${base.route.method} ${base.path} HTTP/1.0\r\n\r\n`)),
    raw('HTTP/9.9', rawRequest(base, { version: 'HTTP/9.9' })),
    raw('bare LF line ends', Buffer.from(rawRequest(base, {}).toString('latin1').replaceAll('\r\n', '\n'), 'latin1')),
    raw('a raw space in the target', rawRequest(base, { target: `${base.path}/a b` })),
    raw('a raw 0xFF byte in the target', rawRequest(base, { target: `${base.path}\u00ff` })),
    raw('a lower-case method', rawRequest(base, { method: base.route.method.toLowerCase() })),
    raw('an unknown method', rawRequest(base, { method: 'HOSTILE' })),
  ];
};
