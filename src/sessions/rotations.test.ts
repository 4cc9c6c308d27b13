import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { openTestStore } from '../../test/helpers/store.js';
import type { Store } from '../storage/database.js';
import { type SessionSeed, SessionStore } from './store.js';

const NOW = 1_800_000_000_000;

const seed = (id: string, generation = 0): SessionSeed => ({
  id,
  userId: `user-${id}`,
  clientId: 'client',
  generation,
  createdAt: NOW - 60_000,
  expiresAt: NOW + 3_600_000,
  dpopJkt: null,
  ipPrefix: null,
});

/**
 * Rotations queued in one turn of the event loop share one transaction (rotations.ts): these
 * calls are made without awaiting in between, so each burst below is one group, and within it
 * every compare-and-set must behave as if the rotations had run one after the other.
 */
describeEachDatabase('session rotations committed in groups', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  let sessions: SessionStore;
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_rotations'));
    sessions = new SessionStore(store.db, store.dialect);
  });
  after(() => close());

  const rotate = (id: string, from: number, withSeed = from === 0) =>
    sessions.rotate({ id, from, now: NOW, ipPrefix: '203.0.113.0/24', ...(withSeed ? { seed: seed(id) } : {}) });

  it('applies a burst of rotations of different sessions and of the same session as if one after the other', async () => {
    for (const id of ['a', 'b', 'c', 'revoked']) await sessions.ensure(seed(id, 3));
    await sessions.revoke(seed('revoked', 3), 'logout', NOW);
    const results = await Promise.all([
      rotate('a', 3),
      rotate('b', 3),
      rotate('a', 3), // the same token twice in one group: only the first takes
      rotate('c', 3),
      rotate('c', 4), // the next generation, right behind the one that makes it current
      rotate('c', 2), // an older one: no write
      rotate('new', 0), // a first refresh: its row is written at generation 1
      rotate('new', 0), // the same first refresh again: the row exists now
      rotate('revoked', 3),
      rotate('missing', 5),
    ]);
    assert.deepEqual(results, [true, true, false, true, true, false, true, false, false, false]);
    const generations = await Promise.all(['a', 'b', 'c', 'new', 'revoked'].map(async (id) => (await sessions.get(id))?.generation));
    assert.deepEqual(generations, [4, 4, 5, 1, 3]);
    const fresh = await sessions.get('new');
    assert.equal(fresh?.lastRefreshedAt, NOW);
    assert.equal(fresh?.userId, 'user-new');
    assert.equal((await sessions.get('a'))?.lastIpPrefix, '203.0.113.0/24');
    assert.equal(await sessions.get('missing'), undefined, 'a later generation never creates a row');
  });

  it('advances a first refresh of a session whose row exists from generation 0', async () => {
    await sessions.ensure(seed('stored'));
    assert.deepEqual(await Promise.all([rotate('stored', 0), rotate('stored', 0), rotate('stored', 1)]), [true, false, true]);
    assert.equal((await sessions.get('stored'))?.generation, 2);
  });

  it('fails only the rotation that fails when its group cannot commit, and commits the others', async () => {
    await sessions.ensure(seed('d', 1));
    // A seed the table refuses (created_at is NOT NULL) fails the group's transaction.
    const broken = { ...seed('broken'), createdAt: null as unknown as number };
    const results = await Promise.allSettled([
      rotate('d', 1),
      sessions.rotate({ id: 'broken', from: 0, now: NOW, ipPrefix: null, seed: broken }),
      rotate('e', 0),
    ]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      results.map((result) => (result.status === 'fulfilled' ? result.value : undefined)),
      [true, undefined, true],
    );
    assert.equal((await sessions.get('d'))?.generation, 2);
    assert.equal((await sessions.get('e'))?.generation, 1);
    assert.equal(await sessions.get('broken'), undefined);
  });
});
