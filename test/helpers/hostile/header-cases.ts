import { createHash, randomUUID } from 'node:crypto';
import { CompactSign, type CryptoKey, type JWK } from 'jose';
import { ORIGIN } from '../guests.js';
import type { Baseline } from './baselines.js';
import { base64url, type Generator, nestedObjects, range, replaceHeader, tokenOf, variant } from './build.js';
import type { Fixtures } from './fixtures.js';

/** Hostile headers: repeated ones, broken credentials, broken DPoP proofs, broken cookies. */

export const duplicateHeaders: Generator = (base, { fixtures: f }) => {
  const authorization = base.headers.find(([name]) => name === 'authorization')?.[1] ?? `Bearer ${f.adminToken}`;
  const cases: [string, string, string[]][] = [
    ['two Authorization headers, the valid one first', 'authorization', [authorization, 'Bearer junk']],
    ['two Authorization headers, the valid one last', 'authorization', ['Basic anVuazpqdW5r', authorization]],
    ['two Origin headers', 'origin', [ORIGIN, 'https://evil.example']],
    ['two DPoP headers', 'dpop', ['a.b.c', 'd.e.f']],
    ['two Cookie headers', 'cookie', ['gp_session=a', 'gp_session=b']],
    ['two If-Match headers', 'if-match', ['"1"', '*']],
    ['two Host headers', 'host', ['127.0.0.1', 'evil.example']],
    ['two X-Forwarded-For headers', 'x-forwarded-for', ['203.0.113.9, 198.51.100.7', 'junk, ::ffff:10.0.0.1']],
    ['two Accept headers', 'accept', ['application/json', 'text/html']],
  ];
  return [
    ...cases.map(([label, name, values]) => variant(base, label, { headers: replaceHeader(base, name, ...values) })),
    variant(base, 'two different Content-Type headers', {
      contentType: null,
      extraHeaders: [
        ['content-type', 'application/json'],
        ['content-type', 'application/x-www-form-urlencoded'],
      ],
    }),
  ];
};

/** A compact JWS whose signature is junk: for parsers, not for verification. */
const unsigned = (header: unknown, payload: unknown, signature = 'c2lnbmF0dXJl') => `${base64url(header)}.${base64url(payload)}.${signature}`;
const basic = (credentials: string | Buffer) => `Basic ${Buffer.from(credentials).toString('base64')}`;

function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Authorization values that are nearly right, wrong in kind, or not credentials at all. */
function authorizationValues(base: Baseline, f: Fixtures): [string, string | undefined][] {
  const token = tokenOf(base, f);
  const [header = '', , signature = ''] = token.split('.');
  const claims = claimsOf(token);
  const kid = (JSON.parse(Buffer.from(header, 'base64url').toString() || '{}') as { kid?: string }).kid ?? 'k';
  const forged = (extra: Record<string, unknown>) => `${header}.${base64url({ ...claims, ...extra })}.${signature}`;
  return [
    ['no Authorization', undefined],
    ['an empty Authorization', ''],
    ['Bearer alone', 'Bearer'],
    ['Bearer and spaces', 'Bearer    '],
    ['a lower-case scheme', `bearer ${token}`],
    ['an upper-case scheme', `BEARER ${token}`],
    ['a tab after the scheme', `Bearer\t${token}`],
    ['words after the token', `Bearer ${token} extra`],
    ['two tokens with a comma', `Bearer ${token}, Bearer ${token}`],
    ['a changed signature', `Bearer ${token.slice(0, -6)}AAAAAA`],
    ['admin scopes written into the payload', `Bearer ${forged({ scope: 'admin:read admin:write' })}`],
    ['a later exp written into the payload', `Bearer ${forged({ exp: 4_102_444_800 })}`],
    ['a.b.c', 'Bearer a.b.c'],
    ['dots only', 'Bearer ....'],
    ['9,000 characters', `Bearer ${'a'.repeat(9_000)}`],
    ['Latin-1 bytes', 'Bearer \u00ff\u00fe\u00e9'],
    ['alg none', `Bearer ${unsigned({ alg: 'none', typ: 'at+jwt', kid }, claims, '')}`],
    ['alg HS256 under the real kid', `Bearer ${unsigned({ alg: 'HS256', typ: 'at+jwt', kid }, claims)}`],
    ['a header that is not JSON', `Bearer ${base64url('{"alg":')}.${base64url(claims)}.c2ln`],
    ['a header that is a JSON array', `Bearer ${unsigned([], claims)}`],
    ['a header nested 1,000 deep', `Bearer ${base64url(nestedObjects(1_000))}.${base64url(claims)}.c2ln`],
    ['kid __proto__', `Bearer ${unsigned({ alg: 'ES256', typ: 'at+jwt', kid: '__proto__' }, claims)}`],
    ['kid with path traversal', `Bearer ${unsigned({ alg: 'ES256', typ: 'at+jwt', kid: '../../../../etc/passwd' }, claims)}`],
    ['kid an object', `Bearer ${unsigned({ alg: 'ES256', typ: 'at+jwt', kid: { toString: 1 } }, claims)}`],
    ['an unknown crit header', `Bearer ${unsigned({ alg: 'ES256', typ: 'at+jwt', kid, crit: ['hostile'], hostile: 1 }, claims)}`],
    ['jku on loopback', `Bearer ${unsigned({ alg: 'ES256', typ: 'at+jwt', jku: 'http://127.0.0.1:9/jwks.json' }, claims)}`],
    ['claims that are a string', `Bearer ${unsigned({ alg: 'ES256', typ: 'at+jwt', kid }, 'claims')}`],
    ['exp a string', `Bearer ${forged({ exp: 'tomorrow' })}`],
    ['the session token as a Bearer token', `Bearer ${base.guest.sessionToken}`],
    ['the admin token', `Bearer ${f.adminToken}`],
    ['a guest access token', `Bearer ${base.guest.accessToken}`],
    ['the DPoP scheme without a proof', `DPoP ${token}`],
    ['DPoP alone', 'DPoP'],
    ['a DPoP-bound token as a Bearer token', `Bearer ${base.guest.bound.accessToken}`],
    ['Basic alone', 'Basic'],
    ['Basic that is not base64', 'Basic !!!!'],
    ['Basic without a colon', basic('no-colon')],
    ['Basic with a colon only', basic(':')],
    ['Basic with bad percent-encoding', basic('%zz:%E0%A4%A')],
    ['Basic with invalid UTF-8', basic(Buffer.from([0xff, 0x3a, 0xfe, 0xc0, 0xaf]))],
    ['Basic with a wrong secret', basic(`${f.confidential.id}:wrong`)],
    ['Basic of 6,000 bytes', basic(`${'a'.repeat(3_000)}:${'b'.repeat(3_000)}`)],
    ['Basic __proto__', basic('__proto__:constructor')],
    ['Basic of the confidential client', basic(`${f.confidential.id}:${f.confidential.secret}`)],
    ['Negotiate', 'Negotiate YIIBhgYGKwYBBQUCoII='],
    ['Digest', 'Digest username="a", realm="b", nonce="c", uri="/", response="d"'],
  ];
}

export const authorization: Generator = (base, { fixtures }) =>
  authorizationValues(base, fixtures).map(([label, value]) =>
    variant(base, label, { headers: value === undefined ? replaceHeader(base, 'authorization') : replaceHeader(base, 'authorization', value) }),
  );

/** Signs any payload bytes and any header members with a bound guest's key, as a DPoP proof. */
function signProof(key: { jwk: JWK; privateKey: CryptoKey }, payload: unknown, header: Record<string, unknown> = {}): Promise<string> {
  const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  return new CompactSign(bytes).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk, ...header }).sign(key.privateKey);
}

/**
 * DPoP headers (RFC 9449 §4) that are malformed, made with bad keys, or signed with odd
 * claims. Routes that take a guest's token get the DPoP-bound guest's, so the proof is
 * checked at the resource; token endpoints check it as a token request proof.
 */
export const dpopHeaders: Generator = async (base, { fixtures: f }) => {
  const key = base.guest.bound;
  const bound = base.credential === 'guest';
  const htu = `${f.issuer}${base.path}`;
  const htm = base.route.method;
  const ath = createHash('sha256').update(key.accessToken).digest('base64url');
  const claims = (extra: Record<string, unknown> = {}) => ({
    jti: randomUUID(),
    htm,
    htu,
    iat: Math.floor(Date.now() / 1000),
    ...(bound ? { ath } : {}),
    ...extra,
  });
  const { kty, crv, x, y } = key.jwk;
  const header = (extra: Record<string, unknown>) => ({ alg: 'ES256', typ: 'dpop+jwt', jwk: { kty, crv, x, y }, ...extra });
  const valid = await signProof(key, claims());
  const proofs: [string, string][] = [
    ['an empty DPoP header', ''],
    ['DPoP garbage', 'garbage'],
    ['DPoP dots only', '..'],
    ['DPoP of 9,000 characters', `${'a'.repeat(4_500)}.${'b'.repeat(4_499)}.`],
    ['a proof header that is not JSON', `${base64url('{"typ":')}.${base64url(claims())}.c2ln`],
    ['a proof header that is an array', unsigned([], claims())],
    ['a proof header nested 1,000 deep', `${base64url(nestedObjects(1_000))}.${base64url(claims())}.c2ln`],
    ['no typ', unsigned({ alg: 'ES256', jwk: { kty, crv, x, y } }, claims())],
    ['alg none', unsigned(header({ alg: 'none' }), claims(), '')],
    ['alg HS256', unsigned(header({ alg: 'HS256' }), claims())],
    ['alg __proto__', unsigned(header({ alg: '__proto__' }), claims())],
    ['no jwk', unsigned({ alg: 'ES256', typ: 'dpop+jwt' }, claims())],
    ['jwk a string', unsigned(header({ jwk: 'key' }), claims())],
    ['jwk with the private d', unsigned(header({ jwk: { kty, crv, x, y, d: x } }), claims())],
    ['jwk kty oct', unsigned(header({ jwk: { kty: 'oct', k: 'c2VjcmV0' } }), claims())],
    ['jwk kty __proto__', unsigned(header({ jwk: { kty: '__proto__' } }), claims())],
    ['an EC point off the curve', unsigned(header({ jwk: { kty: 'EC', crv: 'P-256', x: base64url('x'.repeat(32)), y: base64url('y'.repeat(32)) } }), claims())],
    ['an EC key on an unknown curve', unsigned(header({ jwk: { kty: 'EC', crv: 'P-999', x, y } }), claims())],
    ['an RSA key with an 8-bit modulus', unsigned(header({ alg: 'RS256', jwk: { kty: 'RSA', n: 'AQ', e: 'AQAB' } }), claims())],
    [
      'an RSA key with a 4,000-byte exponent',
      unsigned(header({ alg: 'RS256', jwk: { kty: 'RSA', n: base64url('n'.repeat(256)), e: base64url('e'.repeat(4_000)) } }), claims()),
    ],
    ['an X25519 key for signing', unsigned(header({ alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'X25519', x } }), claims())],
    ['signed: a payload that is not JSON', await signProof(key, '{"jti":')],
    ['signed: a payload that is an array', await signProof(key, [claims()])],
    ['signed: htm an object', await signProof(key, claims({ htm: { toString: 'POST' } }))],
    ['signed: htu an array', await signProof(key, claims({ htu: [htu] }))],
    ['signed: htu not a URL', await signProof(key, claims({ htu: 'http://[::1' }))],
    ['signed: htu with credentials', await signProof(key, claims({ htu: htu.replace('http://', 'http://user:pass@') }))],
    ['signed: iat a string', await signProof(key, claims({ iat: 'now' }))],
    ['signed: iat 1e300', await signProof(key, claims({ iat: 1e300 }))],
    ['signed: iat negative', await signProof(key, claims({ iat: -1 }))],
    ['signed: jti of 4,000 characters', await signProof(key, claims({ jti: 'j'.repeat(4_000) }))],
    ['signed: jti an object', await signProof(key, claims({ jti: { length: 1 } }))],
    ['signed: ath a number', await signProof(key, claims({ ath: 1 }))],
    ['signed: nonce an object', await signProof(key, claims({ nonce: {} }))],
    [
      'signed: __proto__ claims',
      await signProof(key, `{"__proto__":{"htm":"${htm}"},"jti":"${randomUUID()}","htu":"${htu}","iat":${Math.floor(Date.now() / 1000)}}`),
    ],
    ['signed: for another URL', await signProof(key, claims({ htu: `${f.issuer}/elsewhere` }))],
    ['a valid proof', valid],
    ['the same valid proof again', valid],
  ];
  const authorizationHeader = bound ? replaceHeader(base, 'authorization', `DPoP ${key.accessToken}`) : base.headers;
  return proofs.map(([label, proof]) => variant(base, label, { headers: [...authorizationHeader, ['dpop', proof]] }));
};

/** Session cookies (cookie mode) that are broken, repeated, huge or prototype-named. */
export const cookies: Generator = (base) => {
  const name = 'gp_session';
  const token = base.guest.sessionToken;
  // Without Authorization the cookie is the credential, so it is what gets read.
  const headers = base.credential === 'guest' || base.credential === 'account' ? replaceHeader(base, 'authorization') : base.headers;
  const values: [string, string][] = [
    ['a valid session cookie', `${name}=${token}`],
    ['a garbage session cookie', `${name}=garbage`],
    ['an empty session cookie', `${name}=`],
    ['a quoted session cookie', `${name}="${token}"`],
    ['the session cookie twice', `${name}=junk; ${name}=${token}`],
    ['bad percent-encoding', `${name}=%zz%; a=%E0%A4%A`],
    ['a cookie without =', name],
    ['separators only', ';;;; ; =; =='],
    ['__proto__ and constructor cookies', `__proto__=x; constructor=y; ${name}=${token}`],
    ['Latin-1 bytes', `${name}=\u00ff\u00fe`],
    [
      '500 cookies',
      range(500)
        .map((index) => `c${index}=v`)
        .join('; '),
    ],
    ['a cookie of 12,000 characters', `c=${'v'.repeat(12_000)}`],
    ['a __Host- prefixed session cookie', `__Host-gp_session=${token}`],
    ['a session token of 5,000 characters', `${name}=${'a'.repeat(5_000)}`],
  ];
  return [
    ...values.map(([label, value]) => variant(base, label, { headers: [...headers, ['cookie', value]] })),
    variant(base, 'a session cookie beside Authorization', { extraHeaders: [['cookie', `${name}=${token}`]] }),
    variant(base, 'a session cookie from another origin', {
      headers: [...headers.filter(([key]) => key !== 'origin'), ['origin', 'https://evil.example'], ['cookie', `${name}=${token}`]],
    }),
  ];
};
