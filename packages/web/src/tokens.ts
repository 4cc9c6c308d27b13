import { jwtClaims } from './encoding.js';

/** A token response of /anonymous/token, /oauth/token, /accounts/verify and /accounts/login. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  session_token?: string;
  user_id: string;
  session_id: string;
  outcome?: 'promoted' | 'merged' | 'verified';
  merged_guest_id?: string;
}

/** What the SDK stores: shared by the origin's tabs, read under the refresh lock. */
export interface Tokens {
  at: string;
  /** `Bearer`, or `DPoP` for a bound session. */
  type: string;
  /** Expiry and lifetime in ms by the SDK's clock. */
  exp: number;
  life: number;
  /** The session token; absent in cookie mode, where only the server's cookie holds it. */
  st?: string;
  uid: string;
  sid: string;
  anon: boolean;
}

export function tokensOf(response: TokenResponse, now: number): Tokens {
  const claims = jwtClaims(response.access_token);
  const life = response.expires_in * 1000;
  return {
    at: response.access_token,
    type: response.token_type,
    exp: now + life,
    life,
    ...(response.session_token ? { st: response.session_token } : {}),
    uid: response.user_id,
    sid: response.session_id,
    anon: claims['is_anonymous'] !== false,
  };
}

/**
 * True while the access token has more than a quarter of its life left, at most 30 s: a
 * request made with it has time to arrive before `exp`.
 */
export function isFresh(tokens: Tokens, now: number): boolean {
  return tokens.exp - now > Math.min(30_000, tokens.life / 4);
}
