/** Table types of the devices feature (Kysely); conventions as in storage/schema.ts. */

/** Where an RFC 8628 request stands: waiting for a person, decided, or exchanged for tokens. */
export type DeviceAuthorizationStatus = 'pending' | 'approved' | 'denied' | 'consumed';

/**
 * One RFC 8628 device authorization request (devices/store.ts). Both codes are stored as
 * keyed hashes only (crypto/short-codes.ts), never as typed or sent. Rows live for
 * GUESTPASS_DEVICE_CODE_TTL; each new request deletes expired ones.
 */
export interface DeviceAuthorizationsTable {
  id: string;
  client_id: string;
  device_code_hash: string;
  user_code_hash: string;
  /** The scope, audience and resource the device asked for, applied when tokens are issued. */
  scope: string | null;
  audience: string | null;
  resource: string | null;
  status: DeviceAuthorizationStatus;
  /** The user the person approved as (their session's user, or a new guest). */
  user_id: string | null;
  /** Seconds the device must wait between polls; raised by 5 on every slow_down (RFC 8628 §3.5). */
  interval_s: number;
  last_polled_at: number | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
}

export interface DeviceTables {
  device_authorizations: DeviceAuthorizationsTable;
}
