import { randomBytes } from 'node:crypto';
import type { Client } from '../clients/index.js';
import { newId } from '../crypto/ids.js';
import { hashSecret } from '../crypto/secrets.js';
import { hashShortCode, insertNewShortCode, normalizeShortCode } from '../crypto/short-codes.js';
import type { EventBus } from '../events/bus.js';
import type { NetworkInfo } from '../events/types.js';
import { type RequestFacts, resolveAudience, resolveScope, scopeRefusedEmitter } from '../oauth/index.js';
import type { SessionsApi } from '../sessions/index.js';
import type { GuestTokenResponse } from '../sessions/index.js';
import { deviceError } from './error-codes.js';
import type { DevicesConfig } from './options.js';
import type { DeviceAuthorization, DeviceAuthorizationStore } from './store.js';

/** The grant type of RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The verification page, relative to the issuer. */
export const VERIFICATION_PATH = '/device';

/** RFC 8628 §3.2, the device authorization response. */
export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/**
 * Who the person approved as: the user of the browser's session, a guest made for the device,
 * or an account they signed in to on the page.
 */
export type ApprovedAs = 'session' | 'new_guest' | 'account';

export interface DeviceAuthorizationServiceDeps {
  store: DeviceAuthorizationStore;
  events: EventBus;
  /** Keys the user-code hashes (HKDF of the master key). */
  codeKey: Buffer;
  issuer: () => string;
  now: () => number;
  config: Pick<DevicesConfig, 'deviceCodeTtl' | 'devicePollInterval'>;
  sessions: Pick<SessionsApi, 'service' | 'users'>;
}

/**
 * RFC 8628: a device without a browser gets a device code to poll with and a short user code
 * for a person to enter on another device; the person approves as the user of their browser's
 * session (guest or registered) or as a new guest, and the device's next poll gets a session
 * of its own for that same user. Codes are stored as hashes and every transition is a
 * conditional update (store.ts), so each code is decided once and exchanged once.
 */
export class DeviceAuthorizationService {
  constructor(private readonly deps: DeviceAuthorizationServiceDeps) {}

  /** POST /oauth/device_authorization (§3.1, §3.2). */
  async request(
    facts: RequestFacts,
    input: { scope?: string | undefined; audience?: string | undefined; resource?: string | undefined },
  ): Promise<DeviceAuthorizationResponse> {
    const { client } = facts;
    checkDeviceGrantAllowed(client);
    // Checked now rather than when the tokens are issued, minutes later: the device's developer
    // sees a typo at once. The user's own scopes are applied at issuance, when it is known
    // whether the person approved as a guest or as a registered user.
    const refused = scopeRefusedEmitter(
      this.deps.events,
      () => ({ time: this.deps.now(), client_id: client.id, ...(facts.network ? { network: facts.network } : {}) }),
      'device',
    );
    resolveScope(input.scope, [...new Set([...client.guest.scopes, ...(client.user.scopes ?? client.guest.scopes)])], refused);
    resolveAudience(input, client, this.deps.issuer());
    const now = this.deps.now();
    await this.deps.store.purgeExpired(now);
    const ttl = this.deps.config.deviceCodeTtl;
    const id = newId();
    let deviceCode = '';
    const userCode = await insertNewShortCode(
      this.deps.codeKey,
      (userCodeHash) => {
        deviceCode = `gpd_${randomBytes(32).toString('base64url')}`;
        return this.deps.store.insert({
          id,
          clientId: client.id,
          deviceCodeHash: hashSecret(deviceCode),
          userCodeHash,
          scope: input.scope ?? null,
          audience: input.audience ?? null,
          resource: input.resource ?? null,
          intervalS: this.deps.config.devicePollInterval,
          createdAt: now,
          expiresAt: now + ttl * 1000,
        });
      },
      'device authorization',
    );
    this.deps.events.emit('device.authorization_requested', {
      time: now,
      client_id: client.id,
      authorization_id: id,
      expires_at: now + ttl * 1000,
      ...(facts.network ? { network: facts.network } : {}),
    });
    const verificationUri = `${this.deps.issuer()}${VERIFICATION_PATH}`;
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${userCode}`,
      expires_in: ttl,
      interval: this.deps.config.devicePollInterval,
    };
  }

  /**
   * The pending request a typed user code names. A code that names nothing, has expired or was
   * decided is refused with a `device.user_code_rejected` event: a burst of them from one place
   * is someone guessing (anomaly/detectors/user-code-guessing.ts).
   */
  async pendingByUserCode(typed: string, network: NetworkInfo | undefined): Promise<DeviceAuthorization> {
    const code = normalizeShortCode(typed);
    const found = code ? await this.deps.store.byUserCode(hashShortCode(this.deps.codeKey, code)) : undefined;
    const now = this.deps.now();
    const reason = !found ? 'unknown' : found.expiresAt <= now ? 'expired' : found.status !== 'pending' ? 'decided' : undefined;
    if (!found || reason) {
      this.deps.events.emit('device.user_code_rejected', {
        time: now,
        reason: reason ?? 'unknown',
        ...(found ? { client_id: found.clientId } : {}),
        ...(network ? { network } : {}),
      });
      throw deviceError(reason === 'decided' ? 'USER_CODE_DECIDED' : 'USER_CODE_INVALID');
    }
    return found;
  }

  /** The person approved: the device's next poll gets tokens for `user`. */
  async approve(authorization: DeviceAuthorization, user: { id: string; isAnonymous: boolean }, as: ApprovedAs, network?: NetworkInfo): Promise<void> {
    const now = this.deps.now();
    if (!(await this.deps.store.decide(authorization.id, { status: 'approved', userId: user.id }, now))) throw deviceError('USER_CODE_DECIDED');
    this.deps.events.emit('device.approved', {
      time: now,
      client_id: authorization.clientId,
      subject: user.id,
      authorization_id: authorization.id,
      approved_as: as,
      is_anonymous: user.isAnonymous,
      ...(network ? { network } : {}),
    });
  }

  /** A guest made for the device, with a row from the start: the cull sees it like any guest. */
  async newGuest(clientId: string): Promise<{ id: string; isAnonymous: true }> {
    const id = newId();
    await this.deps.sessions.users.ensureGuest(id, clientId, this.deps.now());
    return { id, isAnonymous: true };
  }

  async deny(authorization: DeviceAuthorization, subject: string | undefined, network?: NetworkInfo): Promise<void> {
    const now = this.deps.now();
    if (!(await this.deps.store.decide(authorization.id, { status: 'denied' }, now))) throw deviceError('USER_CODE_DECIDED');
    this.deps.events.emit('device.denied', {
      time: now,
      client_id: authorization.clientId,
      authorization_id: authorization.id,
      ...(subject ? { subject } : {}),
      ...(network ? { network } : {}),
    });
  }

  /**
   * The device polls (§3.4, §3.5): pending and too fast is `slow_down` (and 5 s more from now
   * on), pending is `authorization_pending`, denied is `access_denied` once, expired is
   * `expired_token`; approved is exchanged, once, for a new session of the approved user.
   */
  async poll(facts: RequestFacts, deviceCode: string): Promise<GuestTokenResponse> {
    const found = await this.deps.store.byDeviceCode(hashSecret(deviceCode));
    if (!found || found.clientId !== facts.client.id || found.status === 'consumed') throw deviceError('INVALID_DEVICE_CODE');
    const now = this.deps.now();
    if (found.expiresAt <= now) throw deviceError('EXPIRED_TOKEN');
    if (found.status === 'denied') {
      await this.deps.store.delete(found.id);
      throw deviceError('ACCESS_DENIED');
    }
    if (found.status === 'pending') {
      if (!(await this.deps.store.notePoll(found.id, now))) throw deviceError('SLOW_DOWN');
      throw deviceError('AUTHORIZATION_PENDING');
    }
    if (!found.userId || !(await this.deps.store.consume(found.id, now))) throw deviceError('INVALID_DEVICE_CODE');
    const { scope, audience, resource } = found;
    const response = await this.deps.sessions.service.startForStoredUser(facts, found.userId, {
      ...(scope !== null ? { scope } : {}),
      ...(audience !== null ? { audience } : {}),
      ...(resource !== null ? { resource } : {}),
    });
    // Erased, or merged into an account, between approval and this poll: its sessions are over.
    if (!response) throw deviceError('INVALID_DEVICE_CODE', 'The approving user was merged into an account or deleted meanwhile; request a new code.');
    return response;
  }
}

/** RFC 8628 §3.1: only clients that opted in to the grant may start it. */
export function checkDeviceGrantAllowed(client: Client): void {
  if (!(client.grantTypes as string[]).includes(DEVICE_CODE_GRANT)) throw deviceError('DEVICE_GRANT_NOT_ALLOWED');
}
