import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeEachDatabase } from '../../../test/helpers/databases.js';
import { openTestStore } from '../../../test/helpers/store.js';
import { EventBus } from '../../events/bus.js';
import { Outbox } from '../../events/outbox.js';
import { SessionRevoker } from '../../sessions/revoker.js';
import { SessionStore } from '../../sessions/store.js';
import type { Store } from '../../storage/database.js';
import type { ContainmentAction, DetectionInput, Finding } from '../types.js';
import { ActiveBlocks } from './active.js';
import { ContainmentService } from './service.js';
import { BlockStore } from './store.js';
import type { Block } from './types.js';

const block = (id: string, expiresAt: number, overrides: Partial<Block> = {}): Block => ({
  id,
  action: 'block_prefix',
  entity: { kind: 'prefix', id: '198.51.100.0/24' },
  detector: 'signup_flood',
  alertId: null,
  createdAt: 0,
  expiresAt,
  liftedAt: null,
  ...overrides,
});

describe('active blocks in memory', () => {
  it('should enforce the block that ends last and fall back when it is lifted', () => {
    const active = new ActiveBlocks();
    active.add(block('short', 100));
    active.add(block('long', 500));
    assert.equal(active.find('block_prefix', 'prefix', '198.51.100.0/24', 50)?.id, 'long');
    active.remove('long');
    assert.equal(active.find('block_prefix', 'prefix', '198.51.100.0/24', 50)?.id, 'short');
    assert.equal(active.find('block_prefix', 'prefix', '198.51.100.0/24', 100), undefined, 'expired at its end time');
    assert.equal(active.size, 0, 'expired blocks are dropped as they are met');
  });

  it('should say which action and entity kinds have any block, for the cheap pre-check', () => {
    const active = new ActiveBlocks();
    active.add(block('t', 100, { action: 'throttle', entity: { kind: 'session', id: 's' } }));
    assert.deepEqual([active.any('throttle', 'session'), active.any('throttle', 'user'), active.any('block_prefix', 'prefix')], [true, false, false]);
    active.sweep(100);
    assert.equal(active.any('throttle', 'session'), false);
  });
});

describeEachDatabase('containment', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  let sessions: SessionStore;
  let revoker: SessionRevoker;
  let events: EventBus;
  let now = 1_000_000;
  let action: ContainmentAction = 'observe';
  let service: ContainmentService;
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_contain'));
    sessions = new SessionStore(store.db, store.dialect);
    events = new EventBus();
    revoker = new SessionRevoker({ store: sessions, db: store.db, outbox: new Outbox({ events, now: () => now }), now: () => now });
    service = new ContainmentService({
      blocks: new BlockStore(store.db),
      sessions: revoker,
      policy: () => ({ action, durationMs: 60_000 }),
      now: () => now,
      onError: (error) => assert.fail(String(error)),
    });
  });
  after(() => close());

  const finding = (entity: Finding['entity'], detector = 'test'): Finding => ({
    detector,
    entity,
    score: 1,
    severity: 'high',
    time: now,
    window_start: now,
    evidence: {},
  });
  const input = (network = '198.51.100.0/24', sessionId = 'sess-x'): DetectionInput => ({
    type: 'session.refreshed',
    time: now,
    session_id: sessionId,
    generation: 2,
    network: { ip_prefix: network, ip_version: 4 },
  });

  it('should block the network of the tipping event for a session finding, persist it and survive a reload', async () => {
    action = 'block_prefix';
    const applied = service.apply(finding({ kind: 'session', id: 's1' }), input('203.0.113.0/24'), 'alert-1');
    assert.equal(applied.action, 'block_prefix');
    assert.ok(service.active.find('block_prefix', 'prefix', '203.0.113.0/24', now), 'in force before the write finishes');
    await applied.persisted;
    const reloaded = new ContainmentService({
      blocks: new BlockStore(store.db),
      sessions: revoker,
      policy: () => ({ action, durationMs: 1 }),
      now: () => now,
      onError: () => {},
    });
    await reloaded.load();
    assert.equal(reloaded.active.find('block_prefix', 'prefix', '203.0.113.0/24', now)?.alertId, 'alert-1');
    assert.equal((await reloaded.lift(applied.blockIds[0]!))?.id, applied.blockIds[0]);
    assert.equal(reloaded.active.find('block_prefix', 'prefix', '203.0.113.0/24', now), undefined);
    await service.sync();
    assert.equal(service.active.find('block_prefix', 'prefix', '203.0.113.0/24', now), undefined, 'another node’s lift is picked up');
  });

  it('should revoke the session and announce it, and let requests wait for the write', async () => {
    action = 'revoke';
    const seen: string[] = [];
    const off = events.on('session.revoked', (event) => seen.push(`${event.session_id}:${event.reason}`));
    const applied = service.apply(finding({ kind: 'session', id: 'victim' }, 'token_reuse'), input(), 'alert-2');
    assert.equal(applied.action, 'revoke');
    assert.ok(service.pendingRevocation('victim'));
    await applied.persisted;
    off();
    assert.notEqual((await sessions.get('victim'))?.revokedAt ?? null, null);
    assert.deepEqual(seen, ['victim:anomaly_token_reuse']);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(service.pendingRevocation('victim'), undefined);
  });

  it('should quarantine the event’s session and fall back to observing when there is nothing to act on', async () => {
    action = 'quarantine';
    service.apply(finding({ kind: 'prefix', id: '192.0.2.0/24' }, 'ingestion_spike'), input('192.0.2.0/24', 'noisy'), 'alert-3');
    assert.equal(service.isQuarantined('noisy'), true);
    assert.equal(service.isQuarantined('someone-else'), false);
    action = 'block_prefix';
    const noNetwork: DetectionInput = { type: 'client.updated', time: now };
    assert.equal(service.apply(finding({ kind: 'client', id: 'c' }), noNetwork, 'alert-4').action, 'observe');
    now += 60_000;
    assert.equal(service.isQuarantined('noisy'), false, 'quarantine ends after its duration');
  });

  it('should never block or throttle the loopback network, only observe it', () => {
    action = 'block_prefix';
    assert.equal(service.apply(finding({ kind: 'prefix', id: '127.0.0.0/24' }), input('127.0.0.0/24'), 'alert-l1').action, 'observe');
    assert.equal(service.apply(finding({ kind: 'session', id: 'local' }), input('0:0:0::/48'), 'alert-l2').action, 'observe');
    action = 'throttle';
    assert.equal(service.apply(finding({ kind: 'prefix', id: '127.0.0.0/24' }), input('127.0.0.0/24'), 'alert-l3').action, 'observe');
    assert.equal(service.active.find('block_prefix', 'prefix', '127.0.0.0/24', now), undefined);
  });

  it('should lift every block of an alert at once', async () => {
    action = 'throttle';
    const applied = service.apply(finding({ kind: 'user', id: 'u1' }), input(), 'alert-5');
    await applied.persisted;
    assert.ok(service.active.find('throttle', 'user', 'u1', now));
    assert.equal(await service.liftForAlert('alert-5'), 1);
    assert.equal(service.active.find('throttle', 'user', 'u1', now), undefined);
    assert.deepEqual(
      (await service.list()).filter((b) => b.alertId === 'alert-5'),
      [],
    );
  });

  it('should list and lift a block the moment it is decided, before its write has finished', async () => {
    action = 'block_prefix';
    const applied = service.apply(finding({ kind: 'prefix', id: '198.18.30.0/24' }, 'signup_flood'), input('198.18.30.0/24'), 'alert-6');
    const listed = await service.list();
    assert.ok(
      listed.some((b) => b.id === applied.blockIds[0]),
      'the admin list waits for the write',
    );
    const fresh = service.apply(finding({ kind: 'prefix', id: '198.18.31.0/24' }, 'signup_flood'), input('198.18.31.0/24'), 'alert-7');
    assert.equal((await service.lift(fresh.blockIds[0]!))?.id, fresh.blockIds[0], 'a lift finds the block still being written');
    assert.equal(service.active.find('block_prefix', 'prefix', '198.18.31.0/24', now), undefined);
  });
});
