import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool } from 'kysely';
import type { StagedEvents } from '../../events/outbox.js';
import type { Database } from '../../storage/schema.js';
import type { AlertsTable } from '../tables.js';
import type { ContainmentAction, Entity, Finding } from '../types.js';
import { type Alert, type AlertPage, type AlertQuery, type AlertStatus, type DetectorFeedback, TRUE_POSITIVE_STATUSES } from './types.js';

/** Rows deleted per statement by the retention purge. */
const PURGE_BATCH = 500;

function toAlert(row: Selectable<AlertsTable>): Alert {
  return {
    id: row.id,
    detector: row.detector,
    entity: { kind: row.entity_kind, id: row.entity_id },
    windowStart: Number(row.window_start),
    severity: row.severity,
    score: Number(row.score),
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    status: row.status,
    action: row.action as ContainmentAction,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    count: Number(row.count),
    allowUntil: row.allow_until === null ? null : Number(row.allow_until),
    note: row.note ?? null,
    updatedAt: Number(row.updated_at),
  };
}

/** `first_seen:id` of the last row of a page, base64url: pages stay stable while alerts arrive. */
function encodeCursor(alert: Alert): string {
  return Buffer.from(`${alert.firstSeen}:${alert.id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { firstSeen: number; id: string } | undefined {
  const match = /^(\d{1,16}):([A-Za-z0-9-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { firstSeen: Number(match[1]), id: match[2]! } : undefined;
}

export interface AlertWrite {
  /** Used when this finding opens a new alert; an existing alert keeps its own. */
  id: string;
  finding: Finding;
  action: ContainmentAction;
  /** Findings folded into this write (the dedupe coalesces repeats). */
  count: number;
  /** Event time of the latest finding folded in. */
  lastSeen: number;
  now: number;
}

/** Alerts in SQL, the same on SQLite and PostgreSQL. */
export class AlertStore {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Inserts the alert or folds the finding into the one already stored for its
   * (detector, entity, window), in one statement. The highest-scoring finding's score,
   * severity and evidence win. Returns the stored id and whether this call created it.
   */
  async upsert(write: AlertWrite, db: Kysely<Database> = this.db): Promise<{ id: string; created: boolean }> {
    const { id, finding, action, count, lastSeen, now } = write;
    const row = await db
      .insertInto('alerts')
      .values({
        id,
        detector: finding.detector,
        entity_kind: finding.entity.kind,
        entity_id: finding.entity.id,
        window_start: finding.window_start,
        severity: finding.severity,
        score: finding.score,
        evidence: JSON.stringify(finding.evidence),
        status: 'open',
        action,
        first_seen: finding.time,
        last_seen: lastSeen,
        count,
        allow_until: null,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(['detector', 'entity_kind', 'entity_id', 'window_start']).doUpdateSet((eb) => {
          const higher = eb('excluded.score', '>', eb.ref('alerts.score'));
          return {
            count: eb('alerts.count', '+', eb.ref('excluded.count')),
            last_seen: eb
              .case()
              .when('excluded.last_seen', '>', eb.ref('alerts.last_seen'))
              .then(eb.ref('excluded.last_seen'))
              .else(eb.ref('alerts.last_seen'))
              .end(),
            score: eb.case().when(higher).then(eb.ref('excluded.score')).else(eb.ref('alerts.score')).end(),
            severity: eb.case().when(higher).then(eb.ref('excluded.severity')).else(eb.ref('alerts.severity')).end(),
            evidence: eb.case().when(higher).then(eb.ref('excluded.evidence')).else(eb.ref('alerts.evidence')).end(),
            // A repeat changes the alert: the live view (alerts/changes.ts) reads changes by updated_at.
            updated_at: eb.ref('excluded.updated_at'),
          };
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, created: row.id === id };
  }

  /**
   * The first write of a finding: `upsert`, and when it created the alert, `stage` writes its
   * outbound event in the same transaction. Repeats (`upsert` alone) stage nothing.
   */
  async raise(write: AlertWrite, stage: (trx: Kysely<Database>) => Promise<StagedEvents>): Promise<{ id: string; created: boolean; staged?: StagedEvents }> {
    return this.db.transaction().execute(async (trx) => {
      const stored = await this.upsert(write, trx);
      return stored.created ? { ...stored, staged: await stage(trx) } : stored;
    });
  }

  async get(id: string): Promise<Alert | undefined> {
    const row = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toAlert(row);
  }

  /** Newest first (by first_seen, then id), filtered, one page at a time. */
  async list(query: AlertQuery): Promise<AlertPage> {
    let select = this.db.selectFrom('alerts').selectAll();
    if (query.status) select = select.where('status', '=', query.status);
    if (query.detector) select = select.where('detector', '=', query.detector);
    if (query.entityKind) select = select.where('entity_kind', '=', query.entityKind);
    if (query.entityId) select = select.where('entity_id', '=', query.entityId);
    if (query.since !== undefined) select = select.where('first_seen', '>=', query.since);
    if (query.until !== undefined) select = select.where('first_seen', '<', query.until);
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (cursor) {
      select = select.where((eb) =>
        eb.or([eb('first_seen', '<', cursor.firstSeen), eb.and([eb('first_seen', '=', cursor.firstSeen), eb('id', '<', cursor.id)])]),
      );
    }
    const rows = await select
      .orderBy('first_seen', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const alerts = rows.slice(0, query.limit).map(toAlert);
    return { alerts, nextCursor: rows.length > query.limit ? encodeCursor(alerts[alerts.length - 1]!) : null };
  }

  /** Raised, folded into or given a verdict at or after `since`, oldest change first: the live view's read. */
  async changedSince(since: number, limit: number): Promise<Alert[]> {
    const rows = await this.db.selectFrom('alerts').selectAll().where('updated_at', '>=', since).orderBy('updated_at').orderBy('id').limit(limit).execute();
    return rows.map(toAlert);
  }

  /** Records a verdict and its note (a new verdict replaces both); `allowUntil` is set for false_positive and cleared otherwise. */
  async setStatus(id: string, status: AlertStatus, allowUntil: number | null, now: number, note: string | null = null): Promise<Alert | undefined> {
    const row = await this.db
      .updateTable('alerts')
      .set({ status, allow_until: allowUntil, note, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toAlert(row);
  }

  /** Per-detector verdict counts over the alerts that have one. */
  async feedback(): Promise<Map<string, DetectorFeedback>> {
    const rows = await this.db
      .selectFrom('alerts')
      .select((eb) => ['detector', 'status', eb.fn.countAll<string | number>().as('n')])
      .where('status', 'in', [...TRUE_POSITIVE_STATUSES, 'false_positive'])
      .groupBy(['detector', 'status'])
      .execute();
    const byDetector = new Map<string, DetectorFeedback>();
    for (const row of rows) {
      const entry = byDetector.get(row.detector) ?? { truePositives: 0, falsePositives: 0 };
      if (row.status === 'false_positive') entry.falsePositives += Number(row.n);
      else entry.truePositives += Number(row.n);
      byDetector.set(row.detector, entry);
    }
    return byDetector;
  }

  /** Entities still allow-listed at `now`, to restore the engine's allow-list after a restart. */
  async allowListed(now: number): Promise<{ entity: Entity; until: number }[]> {
    const rows = await this.db.selectFrom('alerts').select(['entity_kind', 'entity_id', 'allow_until']).where('allow_until', '>', now).execute();
    return rows.map((row) => ({ entity: { kind: row.entity_kind, id: row.entity_id }, until: Number(row.allow_until) }));
  }

  /**
   * Verdict counts per (detector, entity, status) over alerts that have one: what the engine's
   * feedback memory (feedback.ts) is rebuilt from after a restart, and from other nodes' verdicts.
   */
  async verdictCounts(): Promise<{ detector: string; entity: Entity; status: string; n: number }[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .select((eb) => ['detector', 'entity_kind', 'entity_id', 'status', eb.fn.countAll<string | number>().as('n')])
      .where('status', '!=', 'open')
      .groupBy(['detector', 'entity_kind', 'entity_id', 'status'])
      .execute();
    return rows.map((row) => ({ detector: row.detector, entity: { kind: row.entity_kind, id: row.entity_id }, status: row.status, n: Number(row.n) }));
  }

  /** The alerts about a person (their user ids or sessions), newest first, for their export. */
  async listNaming(person: PersonEntities, limit: number): Promise<Alert[]> {
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where((eb) => namingPerson(eb, person))
      .orderBy('first_seen', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toAlert);
  }

  /**
   * Retention: deletes alerts last seen before `cutoff`, except those still allow-listing their
   * entity at `now`, a bounded batch per statement so SQLite's writer is never held long.
   * Returns how many went.
   */
  async purgeLastSeenBefore(cutoff: number, now: number, batchSize = PURGE_BATCH): Promise<number> {
    let purged = 0;
    for (;;) {
      const ids = await this.db
        .selectFrom('alerts')
        .select('id')
        .where('last_seen', '<', cutoff)
        .where((eb) => eb.or([eb('allow_until', 'is', null), eb('allow_until', '<=', now)]))
        .limit(batchSize)
        .execute();
      if (ids.length === 0) return purged;
      // Blocks outlive their alert only as history: unlink them rather than keep the alert.
      const batch = ids.map(({ id }) => id);
      await this.db.updateTable('blocks').set({ alert_id: null }).where('alert_id', 'in', batch).execute();
      const deleted = await this.db.deleteFrom('alerts').where('id', 'in', batch).executeTakeFirst();
      purged += Number(deleted.numDeletedRows);
      if (ids.length < batchSize) return purged;
    }
  }

  /** Erasure: deletes the alerts about a person in the erasure's transaction; returns their ids. */
  async deleteNaming(person: PersonEntities, trx: Kysely<Database>): Promise<string[]> {
    const rows = await trx
      .deleteFrom('alerts')
      .where((eb) => namingPerson(eb, person))
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }
}

/** A person as alerts and blocks name them: by user id or by the id of one of their sessions. */
export interface PersonEntities {
  userIds: readonly string[];
  sessionIds: readonly string[];
}

/** The filter for rows whose entity is one of a person's ids (`entity_kind`, `entity_id` columns). */
export function namingPerson(eb: ExpressionBuilder<Database, 'alerts'> | ExpressionBuilder<Database, 'blocks'>, person: PersonEntities) {
  const builder = eb as ExpressionBuilder<Database, 'alerts'>;
  const kinds: Expression<SqlBool>[] = [];
  if (person.userIds.length > 0) kinds.push(builder.and([builder('entity_kind', '=', 'user'), builder('entity_id', 'in', person.userIds)]));
  if (person.sessionIds.length > 0) kinds.push(builder.and([builder('entity_kind', '=', 'session'), builder('entity_id', 'in', person.sessionIds)]));
  return kinds.length > 0 ? builder.or(kinds) : builder.lit(false);
}
