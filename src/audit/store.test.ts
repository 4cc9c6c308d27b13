import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { DomainEvent } from '../events/types.js';
import type { Store } from '../storage/database.js';
import { rowOf } from './recorder.js';
import { AuditStore } from './store.js';

describeEachDatabase('audit log erasure', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_audit_erase'));
  });
  after(() => close());

  it('should delete the events naming a person by subject, session or alert entity, and only those', async () => {
    const log = new AuditStore(store.db);
    const events: DomainEvent[] = [
      { type: 'session.created', time: 1, subject: 'user_1%', session_id: 's-1', is_anonymous: true, new_user: true },
      { type: 'session.created', time: 2, subject: 'userX1x', session_id: 's-2', is_anonymous: true, new_user: true },
      { type: 'session.revoked', time: 3, session_id: 's_-1', reason: 'logout' },
      { type: 'session.revoked', time: 4, session_id: 's-10', reason: 'logout' },
      { type: 'session.revoked', time: 6, session_id: 'sx-1', reason: 'logout' },
      {
        type: 'alert.raised',
        time: 5,
        alert_id: 'a',
        detector: 'token_reuse',
        entity_kind: 'session',
        entity_id: 's_-1',
        severity: 'high',
        score: 1,
        action: 'revoke',
      },
    ];
    await log.append(events.map(rowOf));
    const erased = await store.db.transaction().execute((trx) => log.eraseNaming(['user_1%'], ['s_-1'], trx));
    assert.equal(erased, 3);
    const left = await log.page({ limit: 10, order: 'oldest' });
    assert.deepEqual(
      left.map((entry) => JSON.parse(entry.line) as DomainEvent).map((event) => event.time),
      [2, 4, 6],
      'a look-alike id (a % or _ in an id matches only itself) and a longer session id are kept',
    );
  });
});
