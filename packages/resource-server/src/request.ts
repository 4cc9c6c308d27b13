import { readAuthorization, readDpopHeader } from './authorization.js';
import { GuestpassAuthError } from './errors.js';
import type { GuestpassAuth } from './types.js';
import type { TokenVerifier } from './verify.js';

/** What the framework adapters read from a request. */
export interface IncomingFacts {
  authorization: string | string[] | undefined;
  dpop: string | string[] | undefined;
  method: string;
  /** `protocol://host` as the request arrived, used when no `publicUrl` is configured. */
  origin: string;
  /** Path and query as sent. */
  path: string;
}

export interface AdapterOptions {
  /**
   * Let requests without any token through (`guestpass` is then undefined); a token that is
   * sent is still checked. For routes that serve guests and anonymous crawlers alike.
   * @default false
   */
  optional?: boolean;
  /**
   * The API's public base URL (e.g. `https://api.shop.example`), which DPoP proofs name in
   * `htu`. Set it behind a proxy; without it the request's own protocol and Host header are
   * used, and a proof made for another host could then be replayed here by a caller who
   * also holds the token.
   */
  publicUrl?: string;
}

/** Reads the token and proof off a request and verifies them; undefined for an optional route without a token. */
export async function authenticate(verify: TokenVerifier, facts: IncomingFacts, options: AdapterOptions): Promise<GuestpassAuth | undefined> {
  const presented = readAuthorization(facts.authorization);
  if (!presented) {
    if (options.optional && facts.dpop === undefined) return undefined;
    throw new GuestpassAuthError('TOKEN_MISSING');
  }
  const url = new URL(facts.path, options.publicUrl ?? facts.origin).href;
  return verify(presented.token, { scheme: presented.scheme, dpop: { proof: readDpopHeader(facts.dpop), method: facts.method, url } });
}
