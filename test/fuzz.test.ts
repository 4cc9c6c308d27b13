import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from './helpers/databases.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Random and malformed requests against every endpoint of a real server. Whatever arrives,
 * the answer is below 500 and every error is an RFC 6749 §5.2 object. A run is reproducible:
 * GUESTPASS_FUZZ_SEED=<seed printed on failure> node scripts/test.mjs test/fuzz.test.ts
 */
const SEED = process.env['GUESTPASS_FUZZ_SEED'] ? Number(process.env['GUESTPASS_FUZZ_SEED']) : randomInt(2 ** 31);
const REQUESTS = Number(process.env['GUESTPASS_FUZZ_REQUESTS'] ?? 400);
const TIMEOUT_MS = 10_000;

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed exactly. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Random {
  constructor(readonly next: () => number) {}
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(length: number): Uint8Array {
    return Uint8Array.from({ length }, () => this.int(256));
  }
  /** Any UTF-16 code units, lone surrogates and NUL included. */
  anyString(length: number): string {
    return String.fromCharCode(...Array.from({ length }, () => this.int(0x10000)));
  }
  string(): string {
    return this.pick<() => string>([
      () => '',
      () => 'a'.repeat(this.int(20)),
      () => this.anyString(this.int(40)),
      () => 'é☃😀\u202e\u0000\uffff\ud800',
      () => '\u0000'.repeat(this.int(5) + 1),
      () => 'x'.repeat(this.pick([100, 201, 8193, 20_000])),
      () => ' '.repeat(this.int(5)),
      () => '../../etc/passwd',
      () => "' or 1=1 --",
      () => '%00%zz%',
      () => String(this.next()),
    ])();
  }
  /** A JSON value of any type where a string is expected. */
  value(depth = 0): unknown {
    return this.pick<() => unknown>([
      () => this.string(),
      () => this.string(),
      () => this.int(2 ** 31) - 2 ** 30,
      () => this.next() * 1e308,
      () => this.chance(0.5),
      () => null,
      () => (depth > 2 ? [] : Array.from({ length: this.int(4) }, () => this.value(depth + 1))),
      () => (depth > 2 ? {} : { [this.string()]: this.value(depth + 1) }),
    ])();
  }
}

/** Percent-encodes every byte, so any string (lone surrogates included) or raw bytes fit a URL. */
function percent(value: string | Uint8Array): string {
  return [...(typeof value === 'string' ? Buffer.from(value) : value)].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

interface Fixtures {
  /** A confidential client (scope orders:read, audience https://orders.example) and a public one. */
  confidential: { id: string; secret: string };
  publicId: string;
  /** Clients the fuzz may rotate or delete through the admin API. */
  victimIds: string[];
  adminToken: string;
  /** A token of the confidential client, without admin scopes. */
  plainToken: string;
}

const KNOWN_PATHS = [
  '/oauth/token',
  '/oauth/revoke',
  '/oauth/introspect',
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/.well-known/jwks.json',
  '/admin/api/clients',
  '/admin/api/clients/{id}',
  '/admin/api/clients/{id}/rotate-secret',
  '/healthz',
  '/readyz',
  '/metrics',
  '/docs',
];

/** Random pieces of a request; every choice comes from `r`, so the seed reproduces it. */
class Pieces {
  constructor(
    private readonly r: Random,
    private readonly f: Fixtures,
  ) {}

  /** Latin-1 text a fetch header may carry: tabs, printable ASCII, and 0x80-0xFF. */
  header(): string {
    const r = this.r;
    return Array.from({ length: r.int(40) }, () => String.fromCharCode(r.pick([9, 0x20 + r.int(0x5f), 0x80 + r.int(0x80)])))
      .join('')
      .trim();
  }

  junk(): string {
    const r = this.r;
    return r.chance(0.8) ? Buffer.from(r.bytes(r.int(60))).toString(r.pick(['base64', 'base64url', 'hex'] as const)) : this.header();
  }

  id(ids: readonly string[]): string {
    const r = this.r;
    return r.pick([
      ...ids,
      ...ids,
      'unknown',
      '%00',
      '%zz',
      'a'.repeat(64),
      'b'.repeat(65),
      'c'.repeat(150),
      '..',
      '%2F',
      percent(r.anyString(8)),
      percent(r.bytes(8)),
    ]);
  }

  basic(id: string, secret: string): string {
    return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  }

  authorization(): string | undefined {
    const { r, f } = this;
    return r.pick<() => string | undefined>([
      () => undefined,
      () => undefined,
      () => `Basic ${this.junk()}`,
      () => `Basic ${Buffer.from(`${r.pick([f.confidential.id, f.publicId])}:${r.string()}`).toString('base64')}`,
      () => this.basic(f.confidential.id, f.confidential.secret),
      () => `Basic ${Buffer.from(`${percent(r.anyString(10))}:${percent(r.bytes(10))}`).toString('base64')}`,
      () => 'Basic',
      () => `Bearer ${this.junk()}`,
      () => `Bearer ${r.pick(['a.b.c', 'eyJhbGciOiJub25lIn0.e30.', '...', `${f.adminToken.slice(0, -5)}AAAAA`])}`,
      () => `Bearer ${f.adminToken}`,
      () => `Bearer ${f.plainToken}`,
      () => `Bearer  ${f.adminToken} extra`,
      () => `DPoP ${f.adminToken}`,
      () => this.header(),
    ])();
  }

  contentType(): string | undefined {
    const r = this.r;
    return r.pick([
      'application/json',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-8',
      'application/json; charset=utf-16',
      'APPLICATION/JSON',
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=xyz',
      'application/*',
      ';;;',
      '',
      this.header(),
      undefined,
    ]);
  }

  query(): string {
    const r = this.r;
    return r.pick([
      () =>
        `?${new URLSearchParams(Object.fromEntries(Array.from({ length: r.int(5) }, () => [r.string().slice(0, 50), r.string().slice(0, 200)]))).toString()}`,
      () => `?grant_type=client_credentials&grant_type=x&token=${'t'.repeat(r.int(100))}`,
      () => `?${'q'.repeat(r.pick([1000, 9000, 17_000]))}`,
      () => '?%zz=%&&&==',
      () => '?a[b][c]=1&__proto__[x]=1&constructor[prototype][y]=1',
    ])();
  }

  /** A body shaped like one an endpoint expects, with random values in its fields. */
  plausible(): Record<string, unknown> {
    const { r, f } = this;
    return r.pick<() => Record<string, unknown>>([
      () => ({
        grant_type: r.pick(['client_credentials', 'refresh_token', 'password', r.string()]),
        scope: r.string(),
        audience: r.string(),
        client_id: r.pick([f.confidential.id, f.publicId, r.string()]),
      }),
      () => ({
        token: r.pick([f.adminToken, f.plainToken, r.string()]),
        token_type_hint: r.string(),
        client_id: r.pick([f.confidential.id, f.publicId, r.string()]),
      }),
      () => ({ token: r.value(), client_id: f.confidential.id, client_secret: r.pick([f.confidential.secret, r.string()]) }),
      () => ({
        name: r.string(),
        type: r.pick(['public', 'confidential', r.string()]),
        is_admin: r.value(),
        allowed_origins: [r.pick(['https://a.example', r.string()])],
        scopes: [r.string()],
        audiences: [r.string()],
        access_token_ttl: r.value(),
      }),
      () => ({ name: r.pick(['fuzzed', 'fuzz\u0000ed', '  ', r.string()]), type: r.pick(['public', 'confidential']) }),
      () => ({ overlap_seconds: r.value() }),
      () => Object.fromEntries(Array.from({ length: r.int(6) }, () => [r.string().slice(0, 30), r.value()])),
    ])();
  }

  /** Sometimes replaces, drops or adds one field, or repeats one. */
  mutate(body: Record<string, unknown>): Record<string, unknown> {
    const r = this.r;
    const copy = { ...body };
    const names = Object.keys(copy);
    if (names.length > 0 && r.chance(0.4)) copy[r.pick(names)] = r.value();
    if (names.length > 0 && r.chance(0.15)) delete copy[r.pick(names)];
    if (r.chance(0.15)) copy[r.pick(['extra', 'client_id', 'is_admin', '', r.string().slice(0, 20)])] = r.value();
    if (names.length > 0 && r.chance(0.1)) {
      const name = r.pick(names);
      copy[name] = [copy[name], copy[name]];
    }
    return copy;
  }

  /** JSON or form encoding of `object`, with the matching content type. */
  encode(object: Record<string, unknown>, headers: Record<string, string>): string {
    if (this.r.chance(0.5)) {
      headers['content-type'] = 'application/json';
      return JSON.stringify(object);
    }
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(object)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) params.append(name, typeof item === 'string' ? item : JSON.stringify(item));
    }
    return params.toString();
  }

  body(): string | Uint8Array | undefined {
    const { r, f } = this;
    return r.pick<() => string | Uint8Array | undefined>([
      () => undefined,
      () => JSON.stringify(this.plausible()),
      () => this.encode(this.plausible(), {}),
      () => r.bytes(r.int(2000)),
      () => {
        const json = JSON.stringify(this.plausible());
        return json.slice(0, r.int(json.length));
      },
      () => {
        const depth = r.pick([100, 5000, 40_000]);
        return r.chance(0.5) ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `{"token":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      },
      () => JSON.stringify({ token: 'x'.repeat(r.pick([16_385, 70_000, 1_100_000])), client_id: f.confidential.id }),
      () => JSON.stringify({ token: [r.string(), r.string()], client_id: [f.confidential.id], grant_type: ['client_credentials'] }),
      () => JSON.stringify(r.pick([null, 1, 'string', true, [], [{}]])),
      () => '{"__proto__":{"admin":true},"token":"x"}',
      () => '{"constructor":{"prototype":{"admin":true}},"token":"x"}',
      () => 'grant_type=client_credentials&grant_type=client_credentials&__proto__=x&constructor[prototype]=y',
      () => `token=%00%zz%E0%A4%A&client_id=${encodeURIComponent(f.confidential.id)}&client_secret=%ff`,
      () => r.string(),
      () => '',
    ])();
  }
}

/** Anything at all: random method, path, headers, content type and body. */
function wildRequest(r: Random, p: Pieces, f: Fixtures): FuzzRequest {
  let path = r.chance(0.85)
    ? r.pick(KNOWN_PATHS).replace('{id}', p.id([f.confidential.id, f.publicId, ...f.victimIds]))
    : r.pick([
        () => `/${percent(r.anyString(r.int(12)))}`,
        () => `/${percent(r.bytes(r.int(12)))}`,
        () =>
          `/${Array.from({ length: r.int(6) }, () => r.pick(['oauth', 'admin', 'api', '', '.', '%', '%%', '%C0%AF', '\u00e9', 'x'.repeat(r.int(300))])).join('/')}`,
        () => `/oauth/token/${r.pick(['', 'x', '..', '%00'])}`,
        () => '//oauth//token',
        () => `/admin/api/clients/${p.id(f.victimIds)}/${r.pick(['secrets', 'rotate-secret/x', ''])}`,
      ])();
  if (r.chance(0.3)) path += p.query();
  // Mostly the methods routes use; sometimes ones no route uses or HTTP does not know.
  const method = r.pick(['GET', 'GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'FOO', 'purge', 'M-SEARCH']);
  const headers: Record<string, string> = {};
  const authorization = p.authorization();
  if (authorization !== undefined) headers['authorization'] = authorization;
  if (r.chance(0.2)) headers['x-forwarded-for'] = p.header();
  if (r.chance(0.1)) headers['accept'] = p.header();
  if (r.chance(0.05)) headers['x-huge'] = 'h'.repeat(17_000);
  if (r.chance(0.05)) headers['content-encoding'] = r.pick(['gzip', 'br', 'identity', p.header()]);
  if (method === 'GET' || method === 'HEAD') return { method, path, headers };
  const contentType = p.contentType();
  if (contentType !== undefined) headers['content-type'] = contentType;
  const body = p.body();
  return body === undefined ? { method, path, headers } : { method, path, headers, body };
}

/**
 * Nearly right: the method, path, credentials and encoding an endpoint expects, with mutated
 * values, so the fuzz gets past parsing and authentication into the grant, scope, audience,
 * revocation, introspection and admin logic.
 */
function targetedRequest(r: Random, p: Pieces, f: Fixtures): FuzzRequest {
  const headers: Record<string, string> = {};
  const clientAuth = (body: Record<string, unknown>) =>
    r.pick<() => Record<string, unknown>>([
      () => {
        headers['authorization'] = p.basic(f.confidential.id, f.confidential.secret);
        return body;
      },
      () => ({ ...body, client_id: f.confidential.id, client_secret: r.chance(0.8) ? f.confidential.secret : r.string() }),
      () => ({ ...body, client_id: f.publicId }),
    ])();
  const admin = () => {
    headers['authorization'] = `Bearer ${r.chance(0.85) ? f.adminToken : f.plainToken}`;
  };
  const token = () => r.pick([f.adminToken, f.plainToken, `${f.plainToken.slice(0, -4)}AAAA`, r.string(), p.junk()]);
  const request = r.pick<() => FuzzRequest>([
    () => {
      const body = p.mutate(
        clientAuth({
          grant_type: r.pick(['client_credentials', 'client_credentials', 'refresh_token', r.string()]),
          ...(r.chance(0.6) ? { scope: r.pick(['orders:read', 'orders:read orders:read', '', ' ', 'admin:read', 'orders:write', r.string()]) } : {}),
          ...(r.chance(0.3) ? { audience: r.pick(['https://orders.example', 'https://other.example', r.string()]) } : {}),
          ...(r.chance(0.2) ? { resource: r.pick(['https://orders.example', r.string()]) } : {}),
        }),
      );
      return { method: 'POST', path: '/oauth/token', headers, body: p.encode(body, headers) };
    },
    () => {
      const body = p.mutate(
        clientAuth({ token: token(), ...(r.chance(0.3) ? { token_type_hint: r.pick(['access_token', 'refresh_token', r.string()]) } : {}) }),
      );
      return { method: 'POST', path: r.pick(['/oauth/revoke', '/oauth/introspect']), headers, body: p.encode(body, headers) };
    },
    () => {
      admin();
      const body = p.mutate({
        name: r.pick(['fuzzed client', 'fuzz\u0000ed', ' ', 'é☃😀', 'n'.repeat(201), r.string()]),
        type: r.pick(['public', 'confidential', r.string()]),
        ...(r.chance(0.4) ? { is_admin: r.chance(0.5) } : {}),
        ...(r.chance(0.4) ? { allowed_origins: [r.pick(['https://a.example', 'https://a.example/path', 'ftp://x', 'null', r.string()])] } : {}),
        ...(r.chance(0.4) ? { grant_types: [r.pick(['client_credentials', 'refresh_token', r.string()])] } : {}),
        ...(r.chance(0.4) ? { scopes: [r.pick(['orders:read', 'admin:read', 'a b', '"', r.string()])] } : {}),
        ...(r.chance(0.4) ? { audiences: [r.pick(['https://orders.example', '', ' ', r.string()])] } : {}),
        ...(r.chance(0.4) ? { access_token_ttl: r.pick([29, 30, 3600, 3601, 1.5, null, r.value()]) } : {}),
        ...(r.chance(0.3)
          ? { user: r.pick([{ scopes: ['orders:read'] }, { scopes: ['admin:read'] }, { scopes: null }, { scopes: r.value() }, r.value()]) }
          : {}),
      });
      headers['content-type'] = 'application/json';
      return { method: 'POST', path: '/admin/api/clients', headers, body: JSON.stringify(body) };
    },
    () => {
      admin();
      return { method: 'GET', path: r.pick(['/admin/api/clients', `/admin/api/clients/${p.id([f.confidential.id, f.publicId, ...f.victimIds])}`]), headers };
    },
    () => {
      admin();
      const body = p.mutate({ overlap_seconds: r.pick([0, 60, 86400, -1, 30 * 86400 + 1, 1.5, r.value()]) });
      headers['content-type'] = 'application/json';
      return { method: 'POST', path: `/admin/api/clients/${p.id(f.victimIds)}/rotate-secret`, headers, body: JSON.stringify(body) };
    },
    () => {
      admin();
      return { method: 'DELETE', path: `/admin/api/clients/${p.id(f.victimIds)}`, headers };
    },
  ])();
  if (r.chance(0.1)) request.path += p.query();
  return request;
}

/** Builds one request; everything random comes from `r`, so the seed reproduces it. */
function generate(r: Random, f: Fixtures): FuzzRequest {
  const pieces = new Pieces(r, f);
  return r.chance(0.5) ? targetedRequest(r, pieces, f) : wildRequest(r, pieces, f);
}

function describeRequest({ method, path, headers, body }: FuzzRequest): string {
  const shorten = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…(${text.length} chars)` : text);
  const shownBody = body === undefined ? '' : typeof body === 'string' ? shorten(JSON.stringify(body)) : `<${body.length} random bytes>`;
  return `${method} ${shorten(path)} ${shorten(JSON.stringify(headers))} ${shownBody}`;
}

/** What is wrong with the answer to `request`, or undefined when it is fine. */
async function check(baseUrl: string, request: FuzzRequest): Promise<string | undefined> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${request.path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return `no response: ${(error as Error).message}${cause ? ` (${cause.message})` : ''}`;
  }
  const text = await response.text();
  if (response.status >= 500) return `status ${response.status}: ${text.slice(0, 300)}`;
  if (response.status === 401 && !response.headers.get('www-authenticate')) return '401 without WWW-Authenticate';
  if (response.status === 429 && !/^[1-9]\d*$/.test(response.headers.get('retry-after') ?? '')) return '429 without Retry-After';
  if (response.status < 400 || request.method === 'HEAD' || response.status === 204) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `status ${response.status} with a body that is not JSON: ${text.slice(0, 300)}`;
  }
  const keys = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body).sort() : [];
  const { error, error_description: description } = body as { error?: unknown; error_description?: unknown };
  if (keys.join() !== 'error,error_description' || typeof error !== 'string' || typeof description !== 'string') {
    return `status ${response.status} without an RFC 6749 error object: ${text.slice(0, 300)}`;
  }
  return undefined;
}

describeEachDatabase('fuzzing every endpoint', (database) => {
  let server: TestServer;
  let fixtures: Fixtures;

  before(async () => {
    // No rate limit, so the fuzz reaches past the token endpoint's first step every time.
    server = await startTestServer({ database, env: { GUESTPASS_TOKEN_RATE_LIMIT_PER_IP: '0', GUESTPASS_TOKEN_RATE_LIMIT_PER_CLIENT: '0' } });
    const confidential = await server.createClient([
      '--name',
      'fuzz api',
      '--type',
      'confidential',
      '--scope',
      'orders:read',
      '--audience',
      'https://orders.example',
    ]);
    const publicClient = await server.createClient(['--name', 'fuzz web', '--type', 'public']);
    const admin = await server.createClient(['--name', 'fuzz ops', '--type', 'confidential', '--admin']);
    const victims = [
      await server.createClient(['--name', 'victim', '--type', 'confidential']),
      await server.createClient(['--name', 'victim', '--type', 'public']),
    ];
    fixtures = {
      confidential: { id: confidential.client_id, secret: confidential.client_secret! },
      publicId: publicClient.client_id,
      victimIds: victims.map((victim) => victim.client_id),
      adminToken: await server.clientCredentialsToken(admin.client_id, admin.client_secret!),
      plainToken: await server.clientCredentialsToken(confidential.client_id, confidential.client_secret!),
    };
  });
  after(() => server.stop());

  it(`should answer ${REQUESTS} random requests below 500 with RFC 6749 error objects (seed ${SEED})`, async () => {
    const random = new Random(mulberry32(SEED));
    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const request = generate(random, fixtures);
      const problem = await check(server.url, request);
      if (problem) failures.push(`#${i} ${describeRequest(request)}\n    → ${problem}`);
    }
    assert.equal(
      failures.length,
      0,
      `${failures.length} of ${REQUESTS} requests failed; reproduce with GUESTPASS_FUZZ_SEED=${SEED}\n${failures.slice(0, 20).join('\n')}`,
    );
  });

  it('should still be live and ready afterwards', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });
});
