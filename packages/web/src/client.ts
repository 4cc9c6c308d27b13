import { dpopSigner, loadOrCreateKeyPair } from './dpop.js';
import { errorOf, GuestpassError } from './errors.js';
import { send } from './http.js';
import { withLock } from './lock.js';
import { indexedDbStorage } from './storage.js';
import { createTelemetry, type TelemetryEvent } from './telemetry.js';
import { isFresh, type TokenResponse, type Tokens, tokensOf } from './tokens.js';
import type { Guestpass, GuestpassChange, GuestpassOptions, GuestSession } from './types.js';

const JSON_TYPE = 'application/json';

/** The Guestpass client of one page: see the README's "Browser SDK" section. */
export function createGuestpass({
  issuer,
  clientId,
  transport = 'body',
  dpop = false,
  storage = indexedDbStorage(),
  telemetry,
  now = Date.now,
}: GuestpassOptions): Guestpass {
  const base = issuer.replace(/\/+$/, '');
  const cookie = transport === 'cookie';
  const key = `${base} ${clientId}`;
  const keyName = `${key} dpop`;
  let keyPair: Promise<CryptoKeyPair> | undefined;
  const signer = dpop ? dpopSigner(() => (keyPair ??= loadOrCreateKeyPair(storage, keyName)), now) : undefined;
  const listeners = new Set<(change: GuestpassChange) => void>();
  const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(`guestpass ${key}`);
  /** This tab's copy of the stored record; another tab's change drops it. */
  let mem: Tokens | undefined;

  const notify = (change: GuestpassChange) => {
    for (const listener of listeners) {
      try {
        listener(change);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  };
  if (channel)
    channel.onmessage = ({ data }: MessageEvent<GuestpassChange>) => {
      mem = undefined;
      // The key may have been replaced with the session: read it again before the next proof.
      keyPair = undefined;
      notify(data);
    };

  const load = async () => (await storage.get(key)) as Tokens | undefined;
  async function commit(tokens: Tokens | undefined, type?: GuestpassChange['type']): Promise<Tokens | undefined> {
    await (tokens ? storage.set(key, tokens) : storage.delete(key));
    mem = tokens;
    // A proof made for the exit beacon names the access token it goes with: the new one needs its own.
    if (tokens && ready) void prepareBeacon(tokens).catch(() => {});
    // A session that ended takes its DPoP key along: the next guest's proofs cannot be linked to it.
    if (!tokens && signer) {
      await storage.delete(keyName);
      keyPair = undefined;
    }
    if (type) {
      const change = { type, user: tokens ? { id: tokens.uid, isAnonymous: tokens.anon } : null, sessionId: tokens?.sid ?? null };
      notify(change);
      channel?.postMessage(change);
    }
    return tokens;
  }

  /** A token request (no access token, so the proof has no `ath`); cookie mode lets the cookie ride along. */
  async function post<T>(path: string, body: Record<string, string | undefined>, form = false): Promise<T> {
    const fields = Object.fromEntries(Object.entries({ client_id: clientId, ...body }).filter(([, value]) => value !== undefined)) as Record<string, string>;
    const request = new Request(base + path, {
      method: 'POST',
      credentials: cookie ? 'include' : 'omit',
      headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : JSON_TYPE },
      body: form ? new URLSearchParams(fields) : JSON.stringify(fields),
    });
    const response = await send(request, signer);
    if (!response.ok) throw await errorOf(response);
    return response.status === 204 ? (undefined as T) : ((await response.json()) as T);
  }

  const mode = cookie ? 'cookie' : undefined;
  const create = () => post<TokenResponse>('/anonymous/token', { transport: mode });
  /** RFC 6749 §6 with the session token, or in cookie mode /anonymous/token with the cookie; either rotates it. */
  const refresh = (tokens: Tokens) =>
    cookie
      ? post<TokenResponse>('/anonymous/token', { transport: mode })
      : post<TokenResponse>('/oauth/token', { grant_type: 'refresh_token', refresh_token: tokens.st }, true);

  /** Under the lock: the stored session refreshed, or a new guest when there is none or it ended. */
  async function renew(stored: Tokens | undefined): Promise<Tokens> {
    if (stored) {
      try {
        const next = tokensOf(await refresh(stored), now());
        // Cookie mode: a browser that lost the cookie gets a new guest from the same call.
        return (await commit(next, next.sid === stored.sid ? undefined : 'created'))!;
      } catch (error) {
        if (!isInvalidGrant(error)) throw error;
        await commit(undefined, 'revoked');
      }
    }
    // A cookie of an ended session makes creation fail once; the server clears it as it answers.
    const created = await create().catch((error: unknown) => (cookie && isInvalidGrant(error) ? create() : Promise.reject(error)));
    return (await commit(tokensOf(created, now()), 'created'))!;
  }

  /** The current session under the lock (callers already hold it). */
  const current = async () => {
    const stored = await load();
    return stored && isFresh(stored, now()) ? stored : renew(stored);
  };
  const locked = <T>(task: () => Promise<T>) => withLock(`guestpass ${key}`, task);

  /** `stale`: the access token a resource refused; any other stored one is another tab's newer token. */
  async function session(stale?: string): Promise<Tokens> {
    if (!stale && mem && isFresh(mem, now())) return mem;
    if (!stale) {
      const stored = await load();
      if (stored && isFresh(stored, now())) return (mem = stored);
    }
    return locked(async () => {
      const stored = await load();
      if (stored && isFresh(stored, now()) && stored.at !== stale) return (mem = stored);
      return renew(stored);
    });
  }

  async function authedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const original = new Request(input, init);
    let stale: string | undefined;
    for (;;) {
      const tokens = await session(stale);
      const request = original.clone();
      request.headers.set('authorization', `${tokens.type} ${tokens.at}`);
      const response = await send(request, signer, tokens.at);
      if (response.status !== 401 || stale) return response;
      stale = tokens.at;
    }
  }

  async function resource(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await authedFetch(base + path, { ...init, credentials: 'omit' });
    if (!response.ok) throw await errorOf(response);
    return response;
  }
  const sessionOf = async (response: Response): Promise<GuestSession> => ({ ...(await response.json()), etag: response.headers.get('etag') ?? '' });

  /** Tokens from verification or login become this origin's session; in cookie mode they move into the cookie. */
  async function adopt(response: TokenResponse, type: GuestpassChange['type']): Promise<GuestpassChange> {
    const moved = cookie ? await post<TokenResponse>('/anonymous/token', { session_token: response.session_token, transport: mode }) : response;
    const tokens = (await commit(tokensOf(moved, now()), type))!;
    return { type, user: { id: tokens.uid, isAnonymous: tokens.anon }, sessionId: tokens.sid };
  }

  const events = createTelemetry(
    {
      post: (batch) =>
        authedFetch(`${base}/v1/events`, {
          method: 'POST',
          credentials: 'omit',
          headers: { 'content-type': JSON_TYPE },
          body: JSON.stringify({ events: batch }),
        }),
      beacon: (batch) => beacon(batch),
      // The first event gets the token ready, so a page closed before the first flush can still send by beacon.
      prepare: () => void session().then(prepareBeacon, () => {}),
      now,
    },
    telemetry,
  );

  /** A beacon carries no headers; with DPoP a keep-alive fetch does, with a proof signed ahead (a closing page runs no more tasks). */
  let ready: { at: string; proof: string; made: number } | undefined;
  async function prepareBeacon(tokens: Tokens) {
    if (!signer || (ready?.at === tokens.at && Date.now() - ready.made < 30_000)) return;
    ready = { at: tokens.at, proof: await signer.proof('POST', `${base}/v1/events`, tokens.at), made: Date.now() };
  }
  function beacon(batch: TelemetryEvent[]): boolean {
    const tokens = mem;
    if (!tokens || tokens.exp <= now()) return false;
    const url = `${base}/v1/events`;
    if (!signer) return navigator.sendBeacon(url, new URLSearchParams({ access_token: tokens.at, events: JSON.stringify(batch) }));
    if (ready?.at !== tokens.at || Date.now() - ready.made > 45_000) return false;
    const headers = { authorization: `DPoP ${tokens.at}`, dpop: ready.proof, 'content-type': JSON_TYPE };
    ready = undefined;
    fetch(url, { method: 'POST', keepalive: true, credentials: 'omit', headers, body: JSON.stringify({ events: batch }) }).catch(() => {});
    return true;
  }
  if (typeof document !== 'undefined') {
    addEventListener('pagehide', () => events.pagehide());
    // Mobile browsers may discard a hidden page without pagehide: hiding is the last sure moment.
    document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && events.pagehide());
  }

  return {
    getAccessToken: async () => (await session()).at,
    fetch: authedFetch,
    getSession: async () => sessionOf(await resource('/anonymous/session')),
    async updateMetadata(patch, { ifMatch } = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/merge-patch+json', ...(ifMatch ? { 'if-match': ifMatch } : {}) };
      return sessionOf(await resource('/anonymous/session/metadata', { method: 'PATCH', headers, body: JSON.stringify(patch) }));
    },
    // The guest rides along: its session token, or in cookie mode the cookie (the server reads it
    // there and checks the page's Origin); `current()` first makes sure that session is live.
    signUp: ({ email, password }) =>
      locked(async () => {
        const guest = await current();
        await post('/accounts/signup', { email, password, session_token: cookie ? undefined : guest.st });
      }),
    verify: (input) =>
      locked(async () => {
        const response = await post<TokenResponse>('/accounts/verify', input);
        return adopt(response, response.outcome === 'promoted' ? 'converted' : response.outcome === 'merged' ? 'merged' : 'logged_in');
      }),
    logIn: ({ email, password }) =>
      locked(async () => {
        const guest = await current();
        const response = await post<TokenResponse>('/accounts/login', { email, password, session_token: cookie ? undefined : guest.st });
        return adopt(response, response.merged_guest_id ? 'merged' : 'logged_in');
      }),
    logOut: () =>
      locked(async () => {
        const stored = await load();
        if (!stored) return;
        // The session token (or the cookie) rather than the access token: it works even after the access token expired.
        const headers: Record<string, string> = cookie ? {} : { authorization: `${stored.type} ${stored.st}` };
        const request = new Request(`${base}/anonymous/logout`, { method: 'POST', credentials: cookie ? 'include' : 'omit', headers });
        const response = await send(request, signer, cookie ? undefined : stored.st);
        if (!response.ok) {
          const error = await errorOf(response);
          // A session that already ended (401, or invalid_grant for its cookie) is logged out all the same.
          if (error.status !== 401 && error.error !== 'invalid_grant') throw error;
        }
        await commit(undefined, 'logged_out');
      }),
    track: events.track,
    flush: events.flush,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

const isInvalidGrant = (error: unknown) => error instanceof GuestpassError && error.error === 'invalid_grant';
