import type { Keyring } from '../crypto/keyring.js';
import { openCompactJwe, sealCompactJwe } from '../crypto/jwe.js';

/**
 * What a session token carries, sealed (JWE dir/A256GCM) so clients cannot read or change it
 * (DESIGN §4). It is the refresh credential and the whole state of a session that has no row
 * yet; no metadata rides in it.
 */
export interface SessionTokenPayload {
  /** User id. */
  uid: string;
  /** Session id. */
  sid: string;
  /** The client the session was issued to (RFC 6749 §6: refresh only by that client). */
  cid: string;
  /** Session creation, epoch seconds. */
  ct: number;
  /** When this token was minted (creation or last rotation), epoch seconds: the idle clock. */
  iat: number;
  /** Absolute expiry of the session, epoch seconds; refresh never moves it. */
  exp: number;
  /** Rotation generation: 0 at creation, +1 per refresh (RFC 9700 §4.14.2). */
  gen: number;
  /** Granted scope and audience of the session's access tokens. */
  scope: string;
  aud: string;
  /**
   * Set when the session started without naming a scope and so took all its client allowed:
   * once its user is registered, a refresh gives it all of the client's user scopes; without
   * it a refresh keeps to the scope the session named (sessions/scope.ts).
   */
  ds?: true;
  /** RFC 7638 thumbprint of the DPoP key the session is bound to. */
  jkt?: string;
}

/** What identifies a session, from its session token or from one of its access tokens. */
export type SessionIdentity = Pick<SessionTokenPayload, 'sid' | 'uid' | 'cid' | 'ct' | 'exp' | 'scope' | 'aud'> & { jkt?: string };

const TYP = 'gp-session+jwe';

/** A compact JWE has five parts, a JWS three: both kinds of token can share one header or parameter. */
export function looksLikeSessionToken(token: string): boolean {
  return token.split('.').length === 5;
}

export function sealSessionToken(keyring: Keyring, payload: SessionTokenPayload): string {
  return sealCompactJwe(keyring.sealingKey, { typ: TYP }, JSON.stringify(payload));
}

/** The payload of a session token sealed by us, or undefined; expiry is the caller's check. */
export function openSessionToken(keyring: Keyring, token: string): SessionTokenPayload | undefined {
  if (token.length > 4096) return undefined;
  const opened = openCompactJwe(token, (kid) => keyring.openingKey(kid));
  if (!opened || opened.header['typ'] !== TYP) return undefined;
  try {
    const payload = JSON.parse(opened.plaintext) as SessionTokenPayload;
    const wellFormed =
      typeof payload.uid === 'string' &&
      typeof payload.sid === 'string' &&
      typeof payload.cid === 'string' &&
      Number.isInteger(payload.gen) &&
      Number.isInteger(payload.exp) &&
      Number.isInteger(payload.iat) &&
      typeof payload.scope === 'string' &&
      typeof payload.aud === 'string';
    return wellFormed ? payload : undefined;
  } catch {
    return undefined;
  }
}
