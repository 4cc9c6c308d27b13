import type { FastifyRequest } from 'fastify';
import type { RequestFacts } from '../oauth/index.js';
import type { SessionCaller } from './credentials.js';
import type { SessionErasure } from './erasure.js';
import type { SessionRevoker } from './revoker.js';
import type { GuestSessionService } from './service.js';
import type { MetadataWrite, SessionData } from './session-data.js';
import type { SessionTokenPayload } from './session-token.js';
import type { UserStore } from './user-store.js';

/**
 * Guest sessions as other features use them, built once by createSessions: a feature names the
 * members it needs (`Pick<SessionsApi, ...>`) in its own dependencies.
 */
export interface SessionsApi {
  /** Creation, refresh, the one check of a session token, sessions for existing users. */
  service: GuestSessionService;
  /** The one way any feature ends a session early, and the one writer of `session.revoked`. */
  revocations: SessionRevoker;
  /** The user rows guests live in (their metadata); accounts adds its columns to the same rows. */
  users: UserStore;
  /** This feature's part of erasing and exporting a person, and the denylist of erased users. */
  erasure: SessionErasure;
  /** The caller of an endpoint that takes a session's access token, session token or cookie. */
  resolveSessionCaller(request: FastifyRequest): Promise<SessionCaller>;
  /** A session token sent in the body of a token-issuing request, checked against that request's facts. */
  sessionFromTokenRequest(sessionToken: string, facts: RequestFacts): Promise<SessionTokenPayload>;
  /** The guest of a token-issuing request: its body's session token, or else (cookie mode) its session cookie with an allowed Origin. */
  guestOfTokenRequest(request: FastifyRequest, sessionToken: string | undefined, facts: RequestFacts): Promise<SessionTokenPayload | undefined>;
  readSessionData(caller: SessionCaller): Promise<SessionData>;
  writeMetadata(caller: SessionCaller, write: MetadataWrite): Promise<SessionData>;
}
