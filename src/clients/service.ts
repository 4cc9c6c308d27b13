import type { EventBus } from '../events/bus.js';
import type { Outbox } from '../events/outbox.js';
import { newId } from '../crypto/ids.js';
import { generateClientSecret, hashSecret } from '../crypto/secrets.js';
import { clientError } from './error-codes.js';
import type { ClientStore } from './store.js';
import type { Client, ClientSecretInfo, NewClient } from './types.js';
import { validateNewClient } from './validate.js';

export interface ClientServiceOptions {
  store: ClientStore;
  events: EventBus;
  /** `client.secret_rotated` is staged in the rotation's transaction. */
  outbox: Pick<Outbox, 'stage'>;
  now?: () => number;
}

export interface CreatedClient {
  client: Client;
  /** Shown once: only its hash is stored. Absent for public clients. */
  clientSecret?: string;
}

/** Registered applications: creation, listing, secret rotation, deletion. */
export class ClientService {
  private readonly store: ClientStore;
  private readonly events: EventBus;
  private readonly outbox: Pick<Outbox, 'stage'>;
  private readonly now: () => number;

  constructor({ store, events, outbox, now = Date.now }: ClientServiceOptions) {
    this.store = store;
    this.events = events;
    this.outbox = outbox;
    this.now = now;
  }

  async create(input: NewClient): Promise<CreatedClient> {
    const settings = validateNewClient(input);
    const now = this.now();
    const client: Client = { id: newId(), ...settings, createdAt: now, updatedAt: now };
    const clientSecret = client.type === 'confidential' ? generateClientSecret() : undefined;
    await this.store.insert(client, clientSecret ? { id: newId(), hash: hashSecret(clientSecret), expiresAt: null } : undefined);
    this.events.emit('client.created', { time: now, client_id: client.id, subject: client.id, client_type: client.type, is_admin: client.isAdmin });
    return clientSecret ? { client, clientSecret } : { client };
  }

  async get(id: string): Promise<Client> {
    const client = await this.store.get(id);
    if (!client) throw clientError('CLIENT_NOT_FOUND', `No client has the id "${id}"; list clients with \`guestpass clients list\`.`);
    return client;
  }

  list(): Promise<Client[]> {
    return this.store.list();
  }

  count(): Promise<number> {
    return this.store.count();
  }

  secrets(id: string): Promise<ClientSecretInfo[]> {
    return this.store.secretInfo(id, this.now());
  }

  /**
   * Issues a new secret. Existing secrets keep working for `overlapSeconds` (so deployments
   * can roll over), then stop. An overlap of 0 cuts them off at once.
   */
  async rotateSecret(id: string, overlapSeconds: number): Promise<{ clientSecret: string; oldSecretsExpireAt: number }> {
    const client = await this.get(id);
    if (client.type !== 'confidential') throw clientError('NOT_CONFIDENTIAL');
    const now = this.now();
    const clientSecret = generateClientSecret();
    const oldSecretsExpireAt = now + Math.max(0, overlapSeconds) * 1000;
    const staged = await this.store.rotateSecret(id, { id: newId(), hash: hashSecret(clientSecret), expiresAt: null }, now, oldSecretsExpireAt, (trx) =>
      this.outbox.stage(trx, [{ type: 'client.secret_rotated', time: now, client_id: id, subject: id, old_secret_expires_at: oldSecretsExpireAt }]),
    );
    staged.announce();
    return { clientSecret, oldSecretsExpireAt };
  }

  /**
   * Changes settings of an existing client. The type cannot change (a public client never
   * had a secret to keep); everything else is validated as at creation.
   */
  async update(id: string, changes: Partial<Omit<NewClient, 'type'>>): Promise<Client> {
    const current = await this.get(id);
    const settings = validateNewClient({
      ...current,
      ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
      guest: { ...current.guest, ...changes.guest },
      user: { ...current.user, ...changes.user },
      type: current.type,
    });
    const updated: Client = { ...current, ...settings, updatedAt: this.now() };
    await this.store.update(updated);
    this.events.emit('client.updated', { time: updated.updatedAt, client_id: id, subject: id });
    return updated;
  }

  async delete(id: string): Promise<void> {
    if (!(await this.store.delete(id))) throw clientError('CLIENT_NOT_FOUND', `No client has the id "${id}".`);
    this.events.emit('client.deleted', { time: this.now(), client_id: id, subject: id });
  }
}
