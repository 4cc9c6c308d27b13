import { randomUUID } from 'node:crypto';
import { ORIGIN } from '../guests.js';
import type { Fixtures, Guest } from './fixtures.js';
import type { Route } from './routes.js';

/** How a route's valid request proves who it is. */
export type Credential = 'admin' | 'guest' | 'account' | 'client' | 'adminClient' | 'browser' | 'none';

export type BodyType = 'application/json' | 'application/merge-patch+json' | 'application/x-www-form-urlencoded';

/** A valid request to one route: the catalogue changes one thing of it at a time. */
export interface Baseline {
  route: Route;
  /** The route's URL with its parameters filled in. */
  path: string;
  query: [string, string][];
  credential: Credential;
  /** Authorization and Origin of the valid request. */
  headers: [string, string][];
  /** The valid body's fields; empty when the route takes none. */
  fields: Record<string, unknown>;
  /** The valid body's media type; undefined when the route takes no body. */
  bodyType: BodyType | undefined;
  /** The route answers HTML forms with HTML pages, errors included. */
  htmlPage: boolean;
  /** The guest whose tokens this route's requests carry. */
  guest: Guest;
}

interface Seed {
  credential: Credential;
  bodyType?: BodyType;
  fields?: (f: Fixtures, guest: Guest) => Record<string, unknown>;
  query?: [string, string][];
  htmlPage?: boolean;
}

const JSON_BODY = 'application/json';
const MERGE_PATCH = 'application/merge-patch+json';
const FORM = 'application/x-www-form-urlencoded';
const LINK_TOKEN = 'a'.repeat(43);

/**
 * Valid requests for the routes that exist today. A route missing here still gets the whole
 * catalogue, with defaults: the admin token under /admin/, a guest's token elsewhere, and an
 * empty JSON body for methods that carry one.
 */
const SEEDS: Record<string, Seed> = {
  'POST /oauth/token': { credential: 'client', bodyType: FORM, fields: () => ({ grant_type: 'client_credentials' }) },
  'POST /oauth/revoke': { credential: 'client', bodyType: FORM, fields: (f) => ({ token: f.clientToken, token_type_hint: 'access_token' }) },
  'POST /oauth/introspect': { credential: 'client', bodyType: FORM, fields: (_f, guest) => ({ token: guest.accessToken }) },
  'POST /anonymous/token': { credential: 'browser', bodyType: JSON_BODY, fields: (f) => ({ client_id: f.publicClientId, metadata: { theme: 'dark' } }) },
  'PATCH /anonymous/session/metadata': { credential: 'guest', bodyType: MERGE_PATCH, fields: () => ({ cart: { items: ['sku-1'] }, theme: null }) },
  'POST /anonymous/logout': { credential: 'guest' },
  'POST /anonymous/convert': { credential: 'guest', bodyType: JSON_BODY, fields: () => ({ email: `convert-${randomUUID().slice(0, 8)}@example.com` }) },
  'POST /accounts/signup': {
    credential: 'browser',
    bodyType: JSON_BODY,
    fields: (f, guest) => ({
      client_id: f.publicClientId,
      email: `signup-${randomUUID().slice(0, 8)}@example.com`,
      password: 'a long enough password 1',
      session_token: guest.sessionToken,
    }),
  },
  'POST /accounts/verify': {
    credential: 'browser',
    bodyType: JSON_BODY,
    fields: (f) => ({ client_id: f.publicClientId, email: f.account.email, code: '000000' }),
  },
  'GET /accounts/verify': { credential: 'none', query: [['token', LINK_TOKEN]] },
  'POST /accounts/verify/link': { credential: 'none', bodyType: FORM, fields: () => ({ token: LINK_TOKEN }), htmlPage: true },
  'POST /accounts/login': {
    credential: 'browser',
    bodyType: JSON_BODY,
    fields: (f) => ({ client_id: f.publicClientId, email: f.account.email, password: f.account.password }),
  },
  'POST /accounts/link/id-token': {
    credential: 'browser',
    bodyType: JSON_BODY,
    fields: (f) => ({ client_id: f.publicClientId, id_token: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln', nonce: 'n-0S6_WzA2Mj' }),
  },
  'POST /accounts/password/set': { credential: 'account', bodyType: JSON_BODY, fields: () => ({ password: 'another long password 2' }) },
  'POST /accounts/password/forgot': { credential: 'browser', bodyType: JSON_BODY, fields: (f) => ({ client_id: f.publicClientId, email: f.account.email }) },
  'GET /accounts/password/reset': { credential: 'none', query: [['token', LINK_TOKEN]] },
  'POST /accounts/password/reset': {
    credential: 'none',
    bodyType: JSON_BODY,
    fields: () => ({ token: LINK_TOKEN, password: 'a new long password 3' }),
    htmlPage: true,
  },
  // The device verification page answers a person in a browser: a wrong code is a page, not JSON.
  'GET /device': { credential: 'none', query: [['user_code', 'BCDF-GHJK']], htmlPage: true },
  'POST /device': { credential: 'none', bodyType: FORM, fields: () => ({ user_code: 'BCDF-GHJK', action: 'deny', csrf_token: 'x' }), htmlPage: true },
  'GET /accounts/me': { credential: 'account' },
  'PATCH /accounts/me/metadata': { credential: 'account', bodyType: MERGE_PATCH, fields: () => ({ theme: 'light' }) },
  'POST /accounts/merge/preview': {
    credential: 'adminClient',
    bodyType: JSON_BODY,
    fields: (f, guest) => ({ guest_id: guest.userId, account_id: f.account.userId }),
  },
  'POST /v1/events': {
    credential: 'guest',
    bodyType: JSON_BODY,
    fields: () => ({
      events: [
        {
          id: randomUUID(),
          name: 'page.view',
          ts: Date.now(),
          props: { plan: 'pro', path: '/cart' },
          context: { app_version: '1.2.3', deployment: 'prod', platform: 'web', locale: 'en-GB' },
          metrics: { duration_ms: 12 },
          error: { type: 'TypeError', message: 'x is undefined' },
        },
      ],
    }),
  },
  'GET /admin/api/alerts': { credential: 'admin', query: [['limit', '10']] },
  'PATCH /admin/api/alerts/:id': { credential: 'admin', bodyType: JSON_BODY, fields: () => ({ status: 'acknowledged' }) },
  'POST /admin/api/clients': {
    credential: 'admin',
    bodyType: JSON_BODY,
    fields: () => ({
      name: 'hostile',
      type: 'public',
      allowed_origins: ['https://hostile.example'],
      scopes: ['orders:read'],
      audiences: ['https://api.example'],
    }),
  },
  'PATCH /admin/api/clients/:id': {
    credential: 'admin',
    bodyType: JSON_BODY,
    fields: () => ({ name: 'renamed', allowed_origins: ['https://renamed.example'], scopes: ['orders:read'] }),
  },
  'POST /admin/api/clients/:id/rotate-secret': { credential: 'admin', bodyType: JSON_BODY, fields: () => ({ overlap_seconds: 60 }) },
  'POST /admin/api/sessions/:id/revoke': { credential: 'admin' },
  'GET /admin/api/users/:id/events': { credential: 'admin', query: [['limit', '10']] },
};

const ANALYTICS_QUERY: [string, string][] = [
  ['interval', 'hour'],
  ['group_by', 'name'],
];

function defaultSeed(route: Route): Seed {
  const credential = route.url.startsWith('/admin/')
    ? 'admin'
    : route.url.startsWith('/anonymous/') || route.url.startsWith('/accounts/') || route.url.startsWith('/v1/')
      ? 'guest'
      : 'none';
  const query = route.url.startsWith('/admin/api/analytics/') ? ANALYTICS_QUERY : [];
  return ['POST', 'PUT', 'PATCH'].includes(route.method) ? { credential, bodyType: JSON_BODY, fields: () => ({}), query } : { credential, query };
}

/** The value for a path parameter: a real object of the kind the segment before it names. */
async function parameterValue(resource: string, f: Fixtures, guest: Guest): Promise<string> {
  switch (resource) {
    case 'clients':
      return f.newVictimClient();
    case 'sessions':
      return guest.sessionId;
    case 'users':
      return guest.userId;
    case 'alerts':
      return f.alertId;
    default:
      return randomUUID();
  }
}

function credentialHeaders(credential: Credential, f: Fixtures, guest: Guest): [string, string][] {
  const basic = ({ id, secret }: { id: string; secret: string }) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  switch (credential) {
    case 'admin':
      return [['authorization', `Bearer ${f.adminToken}`]];
    case 'guest':
      return [
        ['authorization', `Bearer ${guest.accessToken}`],
        ['origin', ORIGIN],
      ];
    case 'account':
      return [
        ['authorization', `Bearer ${f.account.accessToken}`],
        ['origin', ORIGIN],
      ];
    case 'client':
      return [['authorization', basic(f.confidential)]];
    case 'adminClient':
      return [['authorization', basic(f.adminClient)]];
    case 'browser':
      return [['origin', ORIGIN]];
    case 'none':
      return [];
  }
}

export async function baselineFor(route: Route, f: Fixtures): Promise<Baseline> {
  const seed = SEEDS[`${route.method} ${route.url}`] ?? defaultSeed(route);
  const guest = await f.newGuest();
  const segments = route.url.split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment.startsWith(':')) segments[index] = await parameterValue(segments[index - 1] ?? '', f, guest);
  }
  return {
    route,
    path: segments.join('/'),
    query: seed.query ?? [],
    credential: seed.credential,
    headers: credentialHeaders(seed.credential, f, guest),
    fields: seed.fields?.(f, guest) ?? {},
    bodyType: seed.bodyType,
    htmlPage: seed.htmlPage ?? false,
    guest,
  };
}
