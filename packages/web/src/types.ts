import type { GuestpassStorage } from './storage.js';
import type { TelemetryEvent, TelemetryOptions } from './telemetry.js';

export interface GuestpassOptions {
  /** Guestpass's public URL (its `issuer`), e.g. `https://auth.example`. */
  issuer: string;
  /** A public client whose `allowed_origins` include this page's origin. */
  clientId: string;
  /**
   * `body`: the session token is kept in `storage`. `cookie`: the server keeps it in an HttpOnly
   * cookie that script never sees (serve Guestpass on the page's site). @default 'body'
   */
  transport?: 'body' | 'cookie';
  /** Bind the session and its access tokens to a non-extractable key (RFC 9449). @default false */
  dpop?: boolean;
  /** Where the session record and the DPoP key live. @default indexedDbStorage() */
  storage?: GuestpassStorage;
  telemetry?: TelemetryOptions;
  /** The clock for token expiry, proof and event times, in epoch ms. @default Date.now */
  now?: () => number;
}

export interface GuestpassUser {
  id: string;
  isAnonymous: boolean;
}

/** What happened to the user or session; every tab of the origin hears it. */
export interface GuestpassChange {
  type: 'created' | 'converted' | 'merged' | 'logged_in' | 'logged_out' | 'revoked';
  /** The user now signed in, null after logout or revocation. */
  user: GuestpassUser | null;
  sessionId: string | null;
}

/** GET /anonymous/session, with its ETag for `updateMetadata(patch, { ifMatch })`. */
export interface GuestSession {
  user_id: string;
  session_id: string;
  is_anonymous: boolean;
  created_at: number;
  expires_at: number;
  scope: string;
  metadata: Record<string, unknown>;
  etag: string;
}

export interface Guestpass {
  /** A valid access token: a new guest's on first use, refreshed shortly before it expires. */
  getAccessToken(): Promise<string>;
  /** `fetch` with the access token (and a DPoP proof) attached; retried once, with a refreshed token, on 401. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  getSession(): Promise<GuestSession>;
  /** A JSON Merge Patch (RFC 7396); `ifMatch` makes a stale ETag fail with `precondition_failed`. */
  updateMetadata(patch: Record<string, unknown>, options?: { ifMatch?: string }): Promise<GuestSession>;
  /** Mails a code (and link) to the address; the guest is promoted or merged by `verify`. */
  signUp(input: { email: string; password?: string }): Promise<void>;
  verify(input: { email: string; code: string } | { token: string }): Promise<GuestpassChange>;
  /** Logs in; the current guest is merged into the account. */
  logIn(input: { email: string; password: string }): Promise<GuestpassChange>;
  /** Ends the session on the server; the next `getAccessToken()` starts a new guest. */
  logOut(): Promise<void>;
  track(name: string, props?: TelemetryEvent['props']): void;
  /** Sends queued events now. */
  flush(): Promise<void>;
  /** Calls `listener` on every change, in this tab or another; returns the unsubscribe function. */
  onChange(listener: (change: GuestpassChange) => void): () => void;
}
