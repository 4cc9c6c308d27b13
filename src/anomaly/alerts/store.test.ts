import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { describeEachDatabase } from '../../../test/helpers/databases.js';
import { openTestStore } from '../../../test/helpers/store.js';
import { newId } from '../../crypto/ids.js';
import { EventBus } from '../../events/bus.js';
import { Outbox, type OutboundEvent } from '../../events/outbox.js';
import type { Store } from '../../storage/database.js';
import type { Finding } from '../types.js';
import { BlockStore } from '../containment/store.js';
import { AlertStore } from './store.js';

const HOUR = 3_600_000;

function finding(overrides: Partial<Finding> = {}): Finding {
  return {
    detector: 'refresh_storm',
    entity: { kind: 'session', id: 'sess-1' },
    score: 0.5,
    severity: 'medium',
    time: 10 * HOUR + 1000,
    window_start: 10 * HOUR,
    evidence: { refreshes: 40, prefix_hash: 'abc123' },
    ...overrides,
  };
}

describeEachDatabase('alert storage', (database) => {
  let store: Store;
  let close: () => Promise<void>;
  let alerts: AlertStore;
  before(async () => {
    ({ store, close } = await openTestStore(database, 'gp_alerts'));
    alerts = new AlertStore(store.db);
  });
  after(() => close());

  const write = (f: Finding, count = 1, id = newId()) => alerts.upsert({ id, finding: f, action: 'throttle', count, lastSeen: f.time, now: f.time });

  it('should fold findings about the same detector, entity and window into one alert', async () => {
    const base = finding({ entity: { kind: 'session', id: 'fold' } });
    const first = await write(base);
    const second = await write({ ...base, time: base.time + 5000, score: 0.9, severity: 'critical', evidence: { refreshes: 90 } }, 3);
    const third = await write({ ...base, time: base.time + 2000, score: 0.2, severity: 'low', evidence: { refreshes: 1 } });
    assert.equal(first.created, true);
    assert.deepEqual(
      [second, third],
      [
        { id: first.id, created: false },
        { id: first.id, created: false },
      ],
    );
    const stored = await alerts.get(first.id);
    assert.equal(stored?.count, 5);
    assert.equal(stored?.lastSeen, base.time + 5000, 'the latest sighting, whatever order repeats arrive in');
    assert.equal(stored?.firstSeen, base.time);
    assert.deepEqual([stored?.score, stored?.severity, stored?.evidence], [0.9, 'critical', { refreshes: 90 }], 'the strongest finding’s verdict and evidence');
    assert.equal(stored?.status, 'open');
  });

  it('should stage alert.raised with the write that created the alert, and with no repeat', async () => {
    const events = new EventBus();
    const outbox = new Outbox({ events, now: () => 1 });
    const heard: OutboundEvent[] = [];
    const off = events.on('alert.raised', (event) => heard.push(event));
    const base = finding({ entity: { kind: 'session', id: 'raised' } });
    const raised = (id: string): OutboundEvent => ({
      type: 'alert.raised',
      time: base.time,
      alert_id: id,
      detector: base.detector,
      entity_kind: base.entity.kind,
      entity_id: base.entity.id,
      severity: base.severity,
      score: base.score,
      action: 'throttle',
    });
    // Two nodes (or a lost in-memory dedupe) store the same finding under ids of their own.
    const raise = async (id: string) => {
      const stored = await alerts.raise({ id, finding: base, action: 'throttle', count: 1, lastSeen: base.time, now: base.time }, (trx) =>
        outbox.stage(trx, [raised(id)]),
      );
      stored.staged?.announce();
      return stored;
    };
    const first = await raise(newId());
    const repeat = await raise(newId());
    off();
    assert.deepEqual([first.created, repeat.created, repeat.id, repeat.staged], [true, false, first.id, undefined]);
    const rows = await store.db.selectFrom('outbox_events').select('payload').where('type', '=', 'alert.raised').execute();
    assert.deepEqual(
      rows.map((row) => JSON.parse(row.payload) as unknown),
      [raised(first.id)],
      'one outbox row, for the alert the first write created',
    );
    assert.deepEqual(heard, [raised(first.id)]);
  });

  it('should open a new alert for the next window or another entity', async () => {
    const base = finding({ entity: { kind: 'session', id: 'windows' } });
    const a = await write(base);
    const b = await write({ ...base, window_start: base.window_start + HOUR, time: base.time + HOUR });
    const c = await write({ ...base, entity: { kind: 'user', id: 'windows' } });
    assert.equal(new Set([a.id, b.id, c.id]).size, 3);
    assert.ok(b.created && c.created);
  });

  it('should filter by status, detector, entity and time and page newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(
        (await write(finding({ detector: 'signup_flood', entity: { kind: 'prefix', id: `198.51.${i}.0/24` }, time: 20 * HOUR + i, window_start: 20 * HOUR })))
          .id,
      );
    }
    const first = await alerts.list({ detector: 'signup_flood', limit: 2 });
    assert.deepEqual(
      first.alerts.map((alert) => alert.id),
      [ids[4], ids[3]],
    );
    assert.ok(first.nextCursor);
    const second = await alerts.list({ detector: 'signup_flood', limit: 2, cursor: first.nextCursor });
    const third = await alerts.list({ detector: 'signup_flood', limit: 2, cursor: second.nextCursor! });
    assert.deepEqual(
      [...second.alerts, ...third.alerts].map((alert) => alert.id),
      [ids[2], ids[1], ids[0]],
    );
    assert.equal(third.nextCursor, null);
    assert.deepEqual(
      (await alerts.list({ entityKind: 'prefix', entityId: '198.51.2.0/24', limit: 10 })).alerts.map((alert) => alert.id),
      [ids[2]],
    );
    assert.deepEqual(
      (await alerts.list({ detector: 'signup_flood', since: 20 * HOUR + 1, until: 20 * HOUR + 3, limit: 10 })).alerts.map((alert) => alert.id),
      [ids[2], ids[1]],
    );
    await alerts.setStatus(ids[0]!, 'resolved', null, 1);
    assert.deepEqual(
      (await alerts.list({ detector: 'signup_flood', status: 'resolved', limit: 10 })).alerts.map((alert) => alert.id),
      [ids[0]],
    );
  });

  it('should count verdicts per detector and remember allow-listed entities', async () => {
    const make = async (detector: string, entityId: string) => (await write(finding({ detector, entity: { kind: 'session', id: entityId } }))).id;
    await alerts.setStatus(await make('impossible_travel', 'tp1'), 'acknowledged', null, 1);
    await alerts.setStatus(await make('impossible_travel', 'tp2'), 'resolved', null, 1);
    await alerts.setStatus(await make('impossible_travel', 'fp1'), 'false_positive', 5 * HOUR, 1);
    await make('impossible_travel', 'open1');
    const feedback = await alerts.feedback();
    assert.deepEqual(feedback.get('impossible_travel'), { truePositives: 2, falsePositives: 1 });
    assert.deepEqual(await alerts.allowListed(4 * HOUR), [{ entity: { kind: 'session', id: 'fp1' }, until: 5 * HOUR }]);
    assert.deepEqual(await alerts.allowListed(5 * HOUR), []);
  });

  it('should purge alerts last seen before the cutoff, keep those still allow-listing, and unlink their blocks', async (t) => {
    // A store of its own: the counts below are of this test's rows only.
    const own = await openTestStore(database, 'gp_alerts_retention');
    t.after(() => own.close());
    const alerts = new AlertStore(own.store.db);
    const write = (f: Finding) => alerts.upsert({ id: newId(), finding: f, action: 'throttle', count: 1, lastSeen: f.time, now: f.time });
    const DAY = 24 * HOUR;
    const at = (day: number, id: string) => finding({ detector: 'retention', entity: { kind: 'session', id }, time: day * DAY, window_start: day * DAY });
    const old = await write(at(100, 'old'));
    const allowListed = await write(at(100, 'allow-listed'));
    await alerts.setStatus(allowListed.id, 'false_positive', 300 * DAY, 101 * DAY);
    const recent = await write(at(200, 'recent'));
    const blocks = new BlockStore(own.store.db);
    const ended = { action: 'throttle' as const, detector: 'retention', createdAt: 100 * DAY, liftedAt: null };
    await blocks.insert({ ...ended, id: newId(), entity: { kind: 'session', id: 'old' }, alertId: old.id, expiresAt: 150 * DAY });
    const stillRunning = newId();
    await blocks.insert({ ...ended, id: stillRunning, entity: { kind: 'session', id: 'old' }, alertId: old.id, expiresAt: 250 * DAY });

    const cutoff = 190 * DAY;
    assert.equal(await blocks.purgeEndedBefore(cutoff), 1, 'the block that ended before the cutoff');
    assert.equal(await alerts.purgeLastSeenBefore(cutoff, 210 * DAY, 1), 1, 'one batch of one, then an empty one');
    assert.equal(await alerts.get(old.id), undefined);
    assert.ok(await alerts.get(allowListed.id), 'still allow-listing its entity until day 300');
    assert.ok(await alerts.get(recent.id));
    assert.equal((await blocks.get(stillRunning))?.alertId, null, 'a block outlives its purged alert, unlinked');
    assert.equal(await alerts.purgeLastSeenBefore(cutoff, 301 * DAY), 1, 'the allow-listed one goes once its allow-list ended');
  });
});
