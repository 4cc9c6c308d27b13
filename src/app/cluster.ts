import type { Keyring } from '../crypto/keyring.js';
import type { EventBus } from '../events/bus.js';
import type { AnomalyService } from '../anomaly/service.js';
import type { ClientsFeature } from '../clients/feature.js';
import type { ChangeNotice, RedisChangeFeed } from '../redis/index.js';

export interface ShareChangesDeps {
  changes: RedisChangeFeed;
  events: EventBus;
  clients: Pick<ClientsFeature, 'forget'>;
  keyring: Pick<Keyring, 'refresh'>;
  anomaly: Pick<AnomalyService, 'syncBlocks' | 'loadAllowLists' | 'onChange'>;
  onError: (error: unknown, what: string) => void;
}

/**
 * What one node changes and the others hold in memory, pushed to them at once instead of at
 * their next poll (client cache TTL, key refresh, block sync), which stays as the safety net.
 * The node that made the change publishes once it is committed (domain events are emitted
 * after the commit); the others re-read from the database. Session revocations, the denylist,
 * merges and erasures need nothing here: every token check reads them from the database.
 */
export function shareChanges({ changes, events, clients, keyring, anomaly, onError }: ShareChangesDeps): () => void {
  const client = ({ client_id }: { client_id?: string }) => {
    if (client_id !== undefined) changes.publish({ kind: 'client', id: client_id });
  };
  const offs = [
    events.on('client.created', client),
    events.on('client.updated', client),
    events.on('client.deleted', client),
    events.on('client.secret_rotated', client),
    events.on('key.rotated', () => changes.publish({ kind: 'keys' })),
  ];
  anomaly.onChange = (change) => changes.publish({ kind: change });

  const apply = (notice: ChangeNotice): void => {
    const guard = (work: Promise<void>, what: string) => void work.catch((error: unknown) => onError(error, what));
    switch (notice.kind) {
      case 'client':
        clients.forget(notice.id);
        return;
      case 'keys':
        guard(keyring.refresh(), 'reloading keys on notice');
        return;
      case 'blocks':
        guard(anomaly.syncBlocks(), 'syncing blocks on notice');
        return;
      case 'allow_lists':
        guard(anomaly.loadAllowLists(), 'loading allow-lists on notice');
        return;
      case 'resync':
        clients.forget();
        guard(keyring.refresh(), 'reloading keys after a lost subscription');
        guard(anomaly.syncBlocks(), 'syncing blocks after a lost subscription');
        guard(anomaly.loadAllowLists(), 'loading allow-lists after a lost subscription');
        return;
    }
  };
  offs.push(changes.onNotice(apply));
  return () => {
    for (const off of offs) off();
    anomaly.onChange = () => {};
  };
}
