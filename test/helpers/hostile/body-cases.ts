import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import {
  FORM,
  formEncode,
  formWith,
  type Generator,
  jsonMembers,
  jsonType,
  jsonWithRaw,
  naturalBody,
  nestedArrays,
  nestedObjects,
  percent,
  range,
  stringPaths,
  topFields,
  variant,
  withValue,
} from './build.js';

/** Hostile bodies: how they are labelled, encoded, compressed, nested, sized and keyed. */

const CONTENT_TYPES = [
  '',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/html',
  'application/xml',
  'application/octet-stream',
  'image/png',
  'application/*',
  '*/*',
  'multipart/form-data',
  'application/jsonp',
  'application/json-patch+json',
  'application/vnd.api+json',
  'application/merge-patch+json',
  'APPLICATION/JSON',
  'Application/X-WWW-Form-Urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/json;',
  ';',
  ';;;charset=utf-8',
  'application/json; charset',
  'application/json; boundary="',
  'application/json, application/x-www-form-urlencoded',
  '\tapplication/json\t',
  `application/json${'; x=y'.repeat(500)}`,
];

export const contentTypes: Generator = (base) => [
  variant(base, 'a body without Content-Type', { contentType: null }),
  ...CONTENT_TYPES.map((type) => variant(base, `Content-Type ${JSON.stringify(type.slice(0, 60))}`, { contentType: type })),
  variant(base, 'JSON labelled as a form', { body: JSON.stringify(base.fields), contentType: FORM }),
  variant(base, 'a form labelled as JSON', { body: formEncode(base.fields), contentType: 'application/json' }),
  variant(base, 'a multipart body', {
    body: `--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n${JSON.stringify(base.fields)}\r\n--b--\r\n`,
    contentType: 'multipart/form-data; boundary=b',
  }),
  variant(base, 'an empty body with a Content-Type', { body: '' }),
  ...['null', 'true', '42', '"text"', '[]', '[{}]', '{"a":1', '{a:1}', "{'a':1}", '{"a":1}{"b":2}'].map((text) =>
    variant(base, `JSON body ${text}`, { body: text, contentType: jsonType(base) }),
  ),
];

export const charsets: Generator = (base) => {
  const { body, type } = naturalBody(base);
  const text = body.toString();
  const latin1 = jsonWithRaw(base.fields, stringPaths(base, 1)[0]!, Buffer.from('"caf\u00e9"', 'latin1'));
  return [
    variant(base, 'UTF-16LE declared as utf-16', { body: Buffer.from(text, 'utf16le'), contentType: `${type}; charset=utf-16` }),
    variant(base, 'UTF-16LE with a byte-order mark', { body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) }),
    variant(base, 'UTF-8 with a byte-order mark', { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]) }),
    variant(base, 'Latin-1 bytes declared iso-8859-1', { body: latin1, contentType: `${jsonType(base)}; charset=iso-8859-1` }),
    variant(base, 'declared utf-32', { contentType: `${type}; charset=utf-32` }),
    variant(base, 'an unknown charset', { contentType: `${type}; charset=x-hostile` }),
    variant(base, 'an empty charset', { contentType: `${type}; charset=` }),
    variant(base, 'a quoted charset', { contentType: `${type}; charset="utf-8"` }),
    variant(base, 'two charsets', { contentType: `${type}; charset=utf-8; charset=utf-16` }),
  ];
};

const INVALID_UTF8: Record<string, number[]> = {
  'byte 0xFF': [0xff],
  'overlong "/"': [0xc0, 0xaf],
  'overlong NUL': [0xc0, 0x80],
  'UTF-8-encoded surrogate': [0xed, 0xa0, 0x80],
  'code point beyond U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
  'truncated sequence': [0xe2, 0x82],
  'lone continuation byte': [0x80],
};

export const invalidUtf8: Generator = (base) => {
  const sequences = Object.entries(INVALID_UTF8).map(([name, bytes]) => [name, Buffer.from(bytes)] as const);
  const [field = 'field'] = topFields(base, 1);
  return [
    ...stringPaths(base).flatMap((path) =>
      sequences.map(([name, bytes]) =>
        variant(base, `${name} in JSON ${path.join('.')}`, {
          body: jsonWithRaw(base.fields, path, Buffer.concat([Buffer.from('"a'), bytes, Buffer.from('b"')])),
          contentType: jsonType(base),
        }),
      ),
    ),
    ...sequences.map(([name, bytes]) =>
      variant(base, `${name} percent-encoded in form ${field}`, { body: formWith(base, field, percent(bytes)), contentType: FORM }),
    ),
    variant(base, 'raw invalid bytes in a form', {
      body: Buffer.concat([Buffer.from(`${formWith(base, field, '')}`), Buffer.from([0xff, 0xc0, 0xaf])]),
      contentType: FORM,
    }),
    variant(base, 'a body of invalid bytes only', { body: Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0xc0]) }),
  ];
};

const GARBAGE = Buffer.from('\x1f\x8b\x08\x00hostile-not-compressed\xff\xfe\x00\x01', 'latin1');
const BOMB_BYTES = 16 * 1024 * 1024;
let bombs: { gzip: Buffer; deflate: Buffer } | undefined;

export const contentEncodings: Generator = (base) => {
  const { body } = naturalBody(base);
  bombs ??= { gzip: gzipSync(Buffer.alloc(BOMB_BYTES, 0x20), { level: 9 }), deflate: deflateSync(Buffer.alloc(BOMB_BYTES, 0x20), { level: 9 }) };
  const cases: [string, string, Buffer][] = [
    ['gzip', 'garbage', GARBAGE],
    ['deflate', 'garbage', GARBAGE],
    ['br', 'garbage', GARBAGE],
    ['zstd', 'garbage', GARBAGE],
    ['compress', 'garbage', GARBAGE],
    ['x-hostile', 'a plain body', body],
    ['gzip', 'a real gzip of the body', gzipSync(body)],
    ['deflate', 'a real deflate of the body', deflateSync(body)],
    ['br', 'a real brotli of the body', brotliCompressSync(body)],
    ['gzip, gzip', 'gzip twice', gzipSync(gzipSync(body))],
    ['GZIP', 'upper-case name', gzipSync(body)],
    ['identity', 'a plain body', body],
    ['gzip', 'a truncated gzip', gzipSync(body).subarray(0, 12)],
    ['gzip', `${BOMB_BYTES >> 20} MiB of spaces`, bombs.gzip],
    ['deflate', `${BOMB_BYTES >> 20} MiB of spaces`, bombs.deflate],
  ];
  return cases.map(([encoding, what, payload]) =>
    variant(base, `Content-Encoding ${encoding} with ${what}`, { body: payload, extraHeaders: [['content-encoding', encoding]] }),
  );
};

/** JSON 5,000 and more levels deep: in the body, in a field, in a JSON-in-form field, as brackets. */
export const deepNesting: Generator = (base) => {
  const type = jsonType(base);
  const [param = 'q'] = base.route.queryParams;
  return [
    ...[5_000, 20_000, 100_000].map((depth) => variant(base, `a body of arrays ${depth} deep`, { body: nestedArrays(depth), contentType: type })),
    ...[5_000, 20_000].map((depth) => variant(base, `a body of objects ${depth} deep`, { body: nestedObjects(depth), contentType: type })),
    ...stringPaths(base).flatMap((path) => [
      variant(base, `${path.join('.')} holds arrays 5,000 deep`, { body: jsonWithRaw(base.fields, path, nestedArrays(5_000)), contentType: type }),
      variant(base, `${path.join('.')} holds objects 10,000 deep`, { body: jsonWithRaw(base.fields, path, nestedObjects(10_000)), contentType: type }),
    ]),
    ...topFields(base).map((field) =>
      variant(base, `form ${field} holds JSON 5,000 deep`, { body: formWith(base, field, encodeURIComponent(nestedObjects(5_000))), contentType: FORM }),
    ),
    variant(base, 'form brackets 5,000 deep', { body: `a${'[a]'.repeat(5_000)}=1`, contentType: FORM }),
    variant(base, 'query brackets 1,000 deep', { query: `a${'%5Ba%5D'.repeat(1_000)}=1` }),
    variant(base, `query ${param} holds JSON 1,000 deep`, { query: `${param}=${encodeURIComponent(nestedArrays(1_000))}` }),
  ];
};

/** `make()`, computed on the first call only. */
function once<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

// The same for every route and both databases, and most of this family's cost to build
// (20,000 keys alone took 23 ms each time): built once per run.
const twentyThousandKeys = once(() => JSON.stringify(Object.fromEntries(range(20_000).map((index) => [`k${index}`, index]))));
const hundredThousandNumbers = once(() => `[${range(100_000).join(',')}]`);
/** The JSON string of `length` x's, as bytes: one copy per length for every route. */
const quotedRuns = new Map<number, Buffer>();
function quotedRun(length: number): Buffer {
  let run = quotedRuns.get(length);
  if (!run) {
    run = Buffer.alloc(length + 2, 'x');
    run[0] = run[length + 1] = 0x22;
    quotedRuns.set(length, run);
  }
  return run;
}
const tenThousandParams = once(() =>
  range(10_000)
    .map((index) => `p${index}=${index}`)
    .join('&'),
);

/** Bodies exactly at and one byte over every limit in force (whitespace keeps the JSON valid), and huge parts. */
export const sizes: Generator = (base, { bodyLimits }) => {
  const type = jsonType(base);
  const text = JSON.stringify(base.fields);
  const length = Buffer.byteLength(text);
  // Built as bytes: a few hundred of these, up to a mebibyte each, would otherwise be made as strings and encoded.
  const padded = (size: number) => {
    const bytes = Buffer.alloc(size, ' ');
    bytes.write(text);
    return bytes;
  };
  const paths = stringPaths(base);
  return [
    ...bodyLimits
      .filter((limit) => limit > length)
      .flatMap((limit) => [
        variant(base, `a body of exactly ${limit} bytes`, { body: padded(limit), contentType: type }),
        variant(base, `a body of ${limit + 1} bytes`, { body: padded(limit + 1), contentType: type }),
      ]),
    ...paths.flatMap((path) =>
      [70_000, 1_100_000].map((size) =>
        variant(base, `${path.join('.')} of ${size} characters`, { body: jsonWithRaw(base.fields, path, quotedRun(size)), contentType: type }),
      ),
    ),
    variant(base, '20,000 keys', { body: twentyThousandKeys(), contentType: type }),
    variant(base, 'a key of 100,000 characters', { body: jsonMembers(base.fields, [['k'.repeat(100_000), '1']]), contentType: type }),
    variant(base, 'an array of 100,000 numbers', { body: jsonWithRaw(base.fields, paths[0]!, hundredThousandNumbers()), contentType: type }),
    variant(base, '10,000 form parameters', { body: tenThousandParams(), contentType: FORM }),
    variant(base, 'a form value of 100,000 characters', { body: formWith(base, topFields(base, 1)[0]!, 'x'.repeat(100_000)), contentType: FORM }),
  ];
};

/** The same key or parameter more than once, in JSON and in forms. */
export const duplicateKeys: Generator = (base) => {
  const type = jsonType(base);
  return [
    ...topFields(base, 3).flatMap((field) => [
      variant(base, `JSON key ${field} twice, junk last`, { body: jsonMembers(base.fields, [[field, '"junk"']]), contentType: type }),
      variant(base, `JSON key ${field} twice, junk first`, { body: jsonMembers(base.fields, [[field, '{"junk":[1]}']], { first: true }), contentType: type }),
      variant(base, `form ${field} twice`, { body: `${formEncode(base.fields)}&${encodeURIComponent(field)}=junk`, contentType: FORM }),
      variant(base, `form ${field}[] twice`, {
        body: `${formEncode(base.fields)}&${encodeURIComponent(field)}[]=a&${encodeURIComponent(field)}[]=b`,
        contentType: FORM,
      }),
    ]),
    variant(base, 'one form parameter 1,000 times', {
      body: range(1_000)
        .map(() => 'a=1')
        .join('&'),
      contentType: FORM,
    }),
    variant(base, 'one JSON key 1,000 times', {
      body: `{${range(1_000)
        .map((index) => `"a":${index}`)
        .join(',')}}`,
      contentType: type,
    }),
    variant(base, 'every query parameter twice', { query: [...base.query, ...base.query, ['a', '1'], ['a', '2']] }),
  ];
};

const POLLUTION = '{"admin":true,"is_admin":true,"scope":"admin:read admin:write","polluted":true}';
const PROTOTYPE_WORDS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

/** Keys and values that name Object.prototype's members, in bodies, forms, queries and header names. */
export const prototypeKeys: Generator = (base) => {
  const type = jsonType(base);
  const [field = 'field'] = topFields(base, 1);
  return [
    variant(base, '__proto__ member', { body: jsonMembers(base.fields, [['__proto__', POLLUTION]]), contentType: type }),
    variant(base, 'constructor.prototype member', { body: jsonMembers(base.fields, [['constructor', `{"prototype":${POLLUTION}}`]]), contentType: type }),
    variant(base, 'prototype member', { body: jsonMembers(base.fields, [['prototype', POLLUTION]]), contentType: type }),
    variant(base, 'a body of __proto__ only', { body: `{"__proto__":${POLLUTION}}`, contentType: type }),
    ...topFields(base).flatMap((name) => [
      variant(base, `__proto__ inside ${name}`, { body: jsonWithRaw(base.fields, [name], `{"__proto__":${POLLUTION}}`), contentType: type }),
      variant(base, `constructor.prototype inside ${name}`, {
        body: jsonWithRaw(base.fields, [name], `{"constructor":{"prototype":${POLLUTION}}}`),
        contentType: type,
      }),
    ]),
    ...stringPaths(base).flatMap((path) =>
      PROTOTYPE_WORDS.map((word) =>
        variant(base, `${path.join('.')} is "${word}"`, { body: JSON.stringify(withValue(base.fields, path, word)), contentType: type }),
      ),
    ),
    variant(base, 'form __proto__=x', { body: `${formEncode(base.fields)}&__proto__=x`, contentType: FORM }),
    variant(base, 'form __proto__[admin]', { body: `${formEncode(base.fields)}&__proto__[admin]=1&__proto__%5Bscope%5D=admin`, contentType: FORM }),
    variant(base, 'form constructor[prototype][admin]', { body: `${formEncode(base.fields)}&constructor[prototype][admin]=1`, contentType: FORM }),
    variant(base, `form ${field}=__proto__`, { body: formWith(base, field, '__proto__'), contentType: FORM }),
    variant(base, 'query __proto__', { query: '__proto__=1&__proto__[admin]=1&constructor[prototype][admin]=1&hasOwnProperty=1' }),
    variant(base, 'header names __proto__ and constructor', {
      extraHeaders: [
        ['__proto__', 'x'],
        ['constructor', 'y'],
        ['hasOwnProperty', 'z'],
      ],
    }),
  ];
};

const UNICODE: Record<string, string> = {
  'a lone high surrogate': 'a\ud800b',
  'a lone low surrogate': '\udfff',
  'a reversed surrogate pair': '\udc00\ud800',
  'NUL inside': 'a\u0000b',
  'NUL only': '\u0000',
  'a right-to-left override': 'moc.elpmaxe\u202e',
  'a right-to-left mark': '\u200fadmin',
  'zero-width characters': 'a\u200d\u200b\u2060b',
  'a byte-order mark': '\ufeffx',
  'noncharacters U+FFFE and U+FFFF': '\ufffe\uffff',
  'astral emoji': '😀👨‍👩‍👧',
  '500 combining marks': `e${'\u0301'.repeat(500)}`,
  'dotted and dotless i': 'İı',
  'full-width letters': 'ａｄｍｉｎ',
  'line and paragraph separators': 'a\u2028b\u2029',
  'control characters': '\u0001\u001b[31m\u007f',
  'CR LF and a header': 'a\r\nSet-Cookie: x=1',
};

/** What a text column cannot store: every string of the body gets these, the first ones get all of UNICODE. */
const UNSTORABLE = ['NUL inside', 'a lone high surrogate'];

/** Strings a JavaScript string can hold that text columns, JSON writers and headers may not. */
export const unicode: Generator = (base) => {
  const type = jsonType(base);
  const [field = 'field'] = topFields(base, 1);
  const entries = Object.entries(UNICODE);
  return [
    ...stringPaths(base, 20).flatMap((path, index) =>
      entries
        .filter(([name]) => index < 2 || UNSTORABLE.includes(name))
        .map(([name, value]) =>
          variant(base, `${name} in ${path.join('.')}`, { body: JSON.stringify(withValue(base.fields, path, value)), contentType: type }),
        ),
    ),
    ...entries
      .slice(0, 10)
      .map(([name, value]) => variant(base, `${name} in form ${field}`, { body: formWith(base, field, percent(value)), contentType: FORM })),
    variant(base, 'a right-to-left override in the path', { path: `${base.path}${percent('\u202e')}` }),
    variant(base, 'a NUL in the path', { path: `${base.path}%00` }),
  ];
};
