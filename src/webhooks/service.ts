import { isIP } from 'node:net';
import { openWithMasterKey, sealWithMasterKey } from '../crypto/aead.js';
import { newId } from '../crypto/ids.js';
import { OUTBOUND_EVENT_TYPES, type OutboundEventName } from '../events/outbox.js';
import { type AddressGuard, isLoopbackHost } from './address-guard.js';
import { type EndpointRow, type EndpointStore, endpointOf } from './endpoint-store.js';
import { webhooksError } from './error-codes.js';
import type { MessageStore } from './message-store.js';
import { generateWebhookSecret } from './signature.js';
import type { MessageStatus, NewWebhookEndpoint, WebhookAttempt, WebhookEndpoint, WebhookEndpointPatch, WebhookMessage } from './types.js';

export interface WebhookServiceOptions {
  endpoints: EndpointStore;
  messages: MessageStore;
  masterKey: Buffer;
  guard: AddressGuard;
  allowHttpLoopback: boolean;
  now: () => number;
}

export interface MessagePage {
  messages: (WebhookMessage & { attempts: WebhookAttempt[] })[];
  nextCursor: string | null;
}

/** The AEAD context of an endpoint's secret: a sealed secret copied onto another row fails to open. */
const sealContext = (endpointId: string, which: 'current' | 'previous') => `webhook secret ${which} ${endpointId}`;

/** Webhook endpoints for the admin API and the CLI: their settings, secrets and messages. */
export class WebhookService {
  /** Set by the running worker: a retried message goes at once, not at the next poll. */
  onQueued: () => void = () => {};

  constructor(private readonly options: WebhookServiceOptions) {}

  /** Creates an endpoint; its secret is returned here and never again. */
  async create(input: NewWebhookEndpoint): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const url = this.checkUrl(input.url);
    const id = newId();
    const secret = generateWebhookSecret();
    const at = this.options.now();
    const row: EndpointRow = {
      id,
      url,
      description: input.description ?? '',
      event_types: input.eventTypes ? JSON.stringify(checkEventTypes(input.eventTypes)) : null,
      client_ids: input.clientIds ? JSON.stringify(input.clientIds) : null,
      enabled: input.enabled === false ? 0 : 1,
      disabled_reason: null,
      secret_sealed: sealWithMasterKey(this.options.masterKey, secret, sealContext(id, 'current')),
      previous_secret_sealed: null,
      previous_secret_expires_at: null,
      failing_since: null,
      created_at: at,
      updated_at: at,
    };
    await this.options.endpoints.insert(row);
    return { endpoint: endpointOf(row), secret };
  }

  list(): Promise<WebhookEndpoint[]> {
    return this.options.endpoints.list();
  }

  async get(id: string): Promise<WebhookEndpoint> {
    const row = await this.options.endpoints.row(id);
    if (!row) throw webhooksError('WEBHOOK_NOT_FOUND');
    return endpointOf(row);
  }

  /** Changes settings; enabling an endpoint also restarts its failure clock. */
  async update(id: string, patch: WebhookEndpointPatch): Promise<WebhookEndpoint> {
    const row = await this.options.endpoints.update(id, {
      ...(patch.url !== undefined ? { url: this.checkUrl(patch.url) } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.eventTypes !== undefined ? { event_types: patch.eventTypes === null ? null : JSON.stringify(checkEventTypes(patch.eventTypes)) } : {}),
      ...(patch.clientIds !== undefined ? { client_ids: patch.clientIds === null ? null : JSON.stringify(patch.clientIds) } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0, disabled_reason: null, failing_since: null } : {}),
      updated_at: this.options.now(),
    });
    if (!row) throw webhooksError('WEBHOOK_NOT_FOUND');
    return endpointOf(row);
  }

  /**
   * A new secret; the current one keeps signing beside it for `overlapSeconds` (both signatures
   * are sent), so receivers can switch without missing a message. Returned here and never again.
   */
  async rotateSecret(id: string, overlapSeconds: number): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const current = await this.options.endpoints.row(id);
    if (!current) throw webhooksError('WEBHOOK_NOT_FOUND');
    const { masterKey, now } = this.options;
    const secret = generateWebhookSecret();
    const at = now();
    const previous = openWithMasterKey(masterKey, current.secret_sealed, sealContext(id, 'current'));
    const row = await this.options.endpoints.update(id, {
      secret_sealed: sealWithMasterKey(masterKey, secret, sealContext(id, 'current')),
      previous_secret_sealed: overlapSeconds > 0 ? sealWithMasterKey(masterKey, previous, sealContext(id, 'previous')) : null,
      previous_secret_expires_at: overlapSeconds > 0 ? at + overlapSeconds * 1000 : null,
      updated_at: at,
    });
    if (!row) throw webhooksError('WEBHOOK_NOT_FOUND');
    return { endpoint: endpointOf(row), secret };
  }

  async delete(id: string): Promise<void> {
    if (!(await this.options.endpoints.delete(id))) throw webhooksError('WEBHOOK_NOT_FOUND');
  }

  /** The secrets a delivery is signed with now: the current one first, then the previous during its overlap. */
  secretsOf(row: EndpointRow): string[] {
    const { masterKey, now } = this.options;
    const secrets = [openWithMasterKey(masterKey, row.secret_sealed, sealContext(row.id, 'current'))];
    if (row.previous_secret_sealed !== null && Number(row.previous_secret_expires_at) > now()) {
      secrets.push(openWithMasterKey(masterKey, row.previous_secret_sealed, sealContext(row.id, 'previous')));
    }
    return secrets;
  }

  async messages(endpointId: string, { status, cursor, limit = 50 }: { status?: MessageStatus; cursor?: string; limit?: number }): Promise<MessagePage> {
    await this.get(endpointId);
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await this.options.messages.list(endpointId, { ...(status ? { status } : {}), ...(before ? { before } : {}), limit: limit + 1 });
    const shown = page.slice(0, limit);
    const attempts = await this.options.messages.attempts(shown.map((message) => message.id));
    return {
      messages: shown.map((message) => ({ ...message, attempts: attempts.get(message.id) ?? [] })),
      nextCursor: page.length > limit ? Buffer.from(shown.at(-1)!.eventId).toString('base64url') : null,
    };
  }

  async message(endpointId: string, id: string): Promise<WebhookMessage & { attempts: WebhookAttempt[] }> {
    const message = await this.options.messages.message(endpointId, id);
    if (!message) throw webhooksError('WEBHOOK_MESSAGE_NOT_FOUND');
    return { ...message, attempts: (await this.options.messages.attempts([id])).get(id) ?? [] };
  }

  /** Queues a message to be sent again at once (same webhook-id: receivers deduplicate on it). */
  async retry(endpointId: string, id: string): Promise<WebhookMessage> {
    const message = await this.options.messages.retry(endpointId, id);
    if (!message) throw webhooksError('WEBHOOK_MESSAGE_NOT_FOUND');
    this.onQueued();
    return message;
  }

  /** https://, or http:// to loopback when allowed; an address written in the URL must pass the SSRF guard. */
  private checkUrl(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw webhooksError('WEBHOOK_INVALID_URL');
    }
    if (url.username !== '' || url.password !== '')
      throw webhooksError('WEBHOOK_INVALID_URL', 'url must not carry credentials: authenticate deliveries by their signature.');
    const loopback = isLoopbackHost(url.hostname);
    if (url.protocol === 'http:' && !(loopback && this.options.allowHttpLoopback)) {
      throw webhooksError(
        'WEBHOOK_INVALID_URL',
        loopback ? 'http:// to loopback needs GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK (development only); use https:// otherwise.' : 'url must be https://.',
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw webhooksError('WEBHOOK_INVALID_URL');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !loopback && !this.options.guard.permits(host)) {
      throw webhooksError(
        'WEBHOOK_INVALID_URL',
        'url names a private, link-local or otherwise non-public address; allow it with GUESTPASS_WEBHOOK_ALLOWED_CIDRS.',
      );
    }
    url.hash = '';
    return url.toString();
  }
}

function checkEventTypes(types: readonly string[]): OutboundEventName[] {
  for (const type of types) if (!(OUTBOUND_EVENT_TYPES as readonly string[]).includes(type)) throw webhooksError('WEBHOOK_INVALID_EVENT_TYPE');
  return [...new Set(types)] as OutboundEventName[];
}

function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^[0-9a-f-]{36}$/.test(id)) throw webhooksError('WEBHOOK_INVALID_CURSOR');
  return id;
}
