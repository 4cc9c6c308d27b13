import type { FastifyRequest } from 'fastify';
import { type Client, ClientCache, type ClientLookup, type ClientStore, matchesLiveSecret } from '../clients/index.js';
import type { EventBus } from '../events/bus.js';
import { networkField } from '../shared/network.js';
import { oauthError } from './error-codes.js';

export interface ClientCredentialsInput {
  client_id?: string | undefined;
  client_secret?: string | undefined;
}

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface AuthenticatedClient {
  client: Client;
  method: ClientAuthMethod;
}

export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="guestpass", charset="UTF-8"' };

function unescapeBasic(value: string): string {
  // Most ids and secrets have nothing escaped; decoding them anyway costs a µs a request.
  if (!value.includes('%') && !value.includes('+')) return value;
  return decodeURIComponent(value.replaceAll('+', ' '));
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined with ":". */
function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=._~-]+)$/i.exec(header.trim());
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: unescapeBasic(decoded.slice(0, colon)), secret: unescapeBasic(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

export interface ClientAuthenticatorOptions {
  store: ClientStore;
  events: EventBus;
  /**
   * Where clients are looked up; share one with other features that read clients per request.
   * @default a ClientCache of its own, with its default settings
   */
  cache?: ClientCache;
  now?: () => number;
}

/**
 * Client authentication for the token, revocation and introspection endpoints:
 * `client_secret_basic`, `client_secret_post`, and `none` (public clients, identified by
 * `client_id` only). Every failure looks the same from outside (RFC 6749 §5.2
 * `invalid_client`); the reason goes to the `client.authentication_failed` event only.
 */
export class ClientAuthenticator {
  private readonly now: () => number;
  private readonly clients: ClientCache;

  constructor(private readonly options: ClientAuthenticatorOptions) {
    this.now = options.now ?? Date.now;
    this.clients = options.cache ?? new ClientCache({ store: options.store, events: options.events, now: this.now });
  }

  async authenticate(request: FastifyRequest, body: ClientCredentialsInput): Promise<AuthenticatedClient> {
    const { id, secret, method } = this.presented(request, body);
    if (!id) return this.fail(request, id, 'no_client_id');
    let found = await this.clients.lookup(id);
    let matched = secret !== undefined && this.matches(secret, found);
    if (!matched && secret !== undefined && found.fromMemory && found.record?.client.type === 'confidential') {
      // The record may predate a rotation on another node: a new secret must work at once.
      found = await this.clients.lookup(id, { refresh: true });
      matched = this.matches(secret, found);
    }
    const client = found.record?.client;
    if (!client) return this.fail(request, id, 'unknown_client');
    if (client.type === 'public') {
      if (secret !== undefined) return this.fail(request, id, 'secret_sent_by_public_client');
      return { client, method: 'none' };
    }
    if (secret === undefined) return this.fail(request, id, 'secret_missing');
    if (!matched) return this.fail(request, id, 'secret_mismatch');
    return { client, method };
  }

  private matches(secret: string, { record }: ClientLookup): boolean {
    return record !== undefined && matchesLiveSecret(secret, record.secrets, this.now());
  }

  private fail(request: FastifyRequest, id: string | undefined, reason: string): never {
    this.options.events.emit('client.authentication_failed', {
      time: this.now(),
      ...(id ? { client_id: id } : {}),
      ...networkField(request.ip),
      reason,
    });
    throw oauthError('INVALID_CLIENT', undefined, BASIC_CHALLENGE);
  }

  private presented(request: FastifyRequest, body: ClientCredentialsInput): { id?: string; secret?: string; method: ClientAuthMethod } {
    const header = request.headers.authorization;
    if (header !== undefined && /^Basic\s/i.test(header)) {
      if (body.client_secret !== undefined) throw oauthError('MULTIPLE_CLIENT_AUTH');
      const basic = parseBasic(header);
      if (!basic) throw oauthError('INVALID_CLIENT', 'The HTTP Basic credentials are malformed: send base64(client_id:client_secret).', BASIC_CHALLENGE);
      if (body.client_id !== undefined && body.client_id !== basic.id) {
        throw oauthError('INVALID_REQUEST', 'client_id in the body differs from the one in the Authorization header.');
      }
      return { id: basic.id, secret: basic.secret, method: 'client_secret_basic' };
    }
    if (body.client_secret !== undefined) return { id: body.client_id, secret: body.client_secret, method: 'client_secret_post' };
    return { id: body.client_id, method: 'none' };
  }
}
