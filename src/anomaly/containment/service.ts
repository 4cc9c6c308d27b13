import { newId } from '../../crypto/ids.js';
import type { RevocationTarget, SessionRevoker } from '../../sessions/index.js';
import { isLoopbackKey, prefixKey } from '../geo/prefix.js';
import type { ContainmentAction, DetectionInput, Entity, Finding } from '../types.js';
import { belowLearntFloor } from '../feedback.js';
import { ActiveBlocks } from './active.js';
import type { BlockStore } from './store.js';
import type { Block, ContainmentPolicy, LastingAction } from './types.js';

export interface ContainmentServiceOptions {
  blocks: BlockStore;
  /** The sessions feature's revocation: it writes the revocation and announces `session.revoked`. */
  sessions: Pick<SessionRevoker, 'revoke' | 'revokeAllOfUser'>;
  policy: ContainmentPolicy;
  now: () => number;
  /** Where failures of background writes go (the request that caused them has moved on). */
  onError: (error: unknown, what: string) => void;
  /** After a block is stored or lifted, for other nodes to sync now rather than at their next poll. */
  onChange?: () => void;
  /** After a block was lifted before its time (the feature announces `block.lifted`). */
  onLifted?: (block: Block, reason: 'admin' | 'false_positive') => void;
}

export interface Applied {
  /** What was actually done; `observe` when the configured action had nothing to act on. */
  action: ContainmentAction;
  blockIds: string[];
  /** Settles when the blocks are stored. */
  persisted: Promise<void>;
}

/**
 * How long a block another node is storing holds here on its own: longer than the sync poll
 * (5 s), the safety net when the change notice is lost; a lift within it waits for its end.
 */
const PROVISIONAL_MS = 10_000;

/** How long other nodes' changes may take to be seen, and the overlap each sync re-reads. */
const SYNC_OVERLAP_MS = 5000;

/**
 * Turns findings into containment. Everything that must hold from the next
 * request is decided synchronously in memory; the database write follows in the background,
 * and a request about a session whose revocation is still being written waits for it.
 */
export class ContainmentService {
  readonly active = new ActiveBlocks();
  private readonly pendingRevocations = new Map<string, Promise<void>>();
  /** Block writes still in flight: the admin API reads the table, so it waits for them first. */
  private readonly pendingBlockWrites = new Set<Promise<void>>();
  private lastSync = 0;
  /** Provisional blocks by what they refuse: the stored block for the same thing replaces them, its lift lifts them. */
  private readonly provisional = new Map<string, string>();

  constructor(private readonly options: ContainmentServiceOptions) {}

  /** Reads the blocks in force from the database (start-up). */
  async load(): Promise<void> {
    const now = this.options.now();
    for (const block of await this.options.blocks.active(now, 100_000)) this.active.add(block);
    this.lastSync = now;
  }

  /** Picks up blocks created or lifted by other nodes since the last sync. */
  async sync(): Promise<void> {
    const now = this.options.now();
    for (const block of await this.options.blocks.changedSince(this.lastSync - SYNC_OVERLAP_MS)) {
      this.dropProvisional(block);
      if (block.liftedAt !== null || block.expiresAt <= now) this.active.remove(block.id);
      else if (!this.active.get(block.id)) this.active.add(block);
    }
    this.active.sweep(now);
    for (const [key, id] of this.provisional) if (!this.active.get(id)) this.provisional.delete(key);
    this.lastSync = now;
  }

  /**
   * Holds the finding's block in this node's memory only, for at most PROVISIONAL_MS: with
   * several nodes every engine reaches the finding, and the one that claims it stores the block
   * (`apply`), which reaches the others at their next sync. Meanwhile they refuse too, so a flood
   * spread over the nodes is stopped at the same count as on one. Revocations are left to the
   * claiming node: they are read from the database by every node.
   */
  applyProvisional(finding: Finding, input: DetectionInput): void {
    const rule = this.options.policy(finding.detector);
    if (rule.action === 'observe' || rule.action === 'revoke') return;
    this.apply(finding, input, '', { provisional: true });
  }

  /** Applies the detector's configured action to a new alert's finding. */
  apply(finding: Finding, input: DetectionInput, alertId: string, { provisional = false } = {}): Applied {
    // Verdicts said this entity is often misjudged by this detector: record, do not act (feedback.ts).
    if (belowLearntFloor(finding)) return observed();
    const rule = this.options.policy(finding.detector);
    const durationMs = provisional ? Math.min(rule.durationMs, PROVISIONAL_MS) : rule.durationMs;
    const sessionId = finding.entity.kind === 'session' ? finding.entity.id : 'session_id' in input ? input.session_id : undefined;
    switch (rule.action) {
      case 'observe':
        return { action: 'observe', blockIds: [], persisted: Promise.resolve() };
      case 'revoke':
        return this.revoke(finding, input, sessionId);
      case 'throttle':
        if (finding.entity.kind === 'prefix' && isLoopbackKey(finding.entity.id)) return observed();
        return this.block('throttle', finding.entity, finding, alertId, durationMs, provisional);
      case 'quarantine':
        return sessionId ? this.block('quarantine', { kind: 'session', id: sessionId }, finding, alertId, durationMs, provisional) : observed();
      case 'block_prefix': {
        // The entity when it is a network; otherwise the network the tipping event came from.
        const prefix = (finding.entity.kind === 'prefix' ? prefixKey(finding.entity.id) : undefined) ?? input.network?.ip_prefix;
        return prefix && !isLoopbackKey(prefix)
          ? this.block('block_prefix', { kind: 'prefix', id: prefix }, finding, alertId, durationMs, provisional)
          : observed();
      }
    }
  }

  /** A revocation of this session still being written, for requests to wait on. */
  pendingRevocation(sessionId: string): Promise<void> | undefined {
    return this.pendingRevocations.get(sessionId);
  }

  get revocationsPending(): boolean {
    return this.pendingRevocations.size > 0;
  }

  /** Telemetry from a quarantined session is kept but tagged (read by the telemetry feature). */
  isQuarantined(sessionId: string): boolean {
    return this.active.find('quarantine', 'session', sessionId, this.options.now()) !== undefined;
  }

  /** The blocks in force, including those decided a moment ago and still being written. */
  async list(): Promise<Block[]> {
    await this.blockWritesSettled();
    return this.options.blocks.active(this.options.now());
  }

  /** Lifts one block; undefined when it is not in force. */
  async lift(id: string): Promise<Block | undefined> {
    await this.blockWritesSettled();
    const lifted = await this.options.blocks.lift(id, this.options.now());
    if (lifted) {
      this.dropProvisional(lifted);
      this.active.remove(id);
      this.options.onChange?.();
      this.options.onLifted?.(lifted, 'admin');
    }
    return lifted;
  }

  /** Lifts what an alert caused (false_positive). Revoked sessions stay revoked. */
  async liftForAlert(alertId: string): Promise<number> {
    await this.blockWritesSettled();
    const lifted = await this.options.blocks.liftForAlert(alertId, this.options.now());
    for (const { id } of lifted) {
      const block = this.active.get(id);
      if (block) this.dropProvisional(block);
      this.active.remove(id);
    }
    if (lifted.length > 0) this.options.onChange?.();
    for (const block of lifted) this.options.onLifted?.(block, 'false_positive');
    return lifted.length;
  }

  /** Once the alert's stored id is known (a repeat after a restart keeps the older id). */
  async attachAlert(applied: Applied, generatedId: string, storedId: string): Promise<void> {
    if (storedId === generatedId || applied.blockIds.length === 0) return;
    await applied.persisted;
    await this.options.blocks.setAlert(applied.blockIds, storedId);
    for (const id of applied.blockIds) {
      const block = this.active.get(id);
      if (block) block.alertId = storedId;
    }
  }

  private block(action: LastingAction, entity: Entity, finding: Finding, alertId: string, durationMs: number, provisional = false): Applied {
    const now = this.options.now();
    const block: Block = { id: newId(), action, entity, detector: finding.detector, alertId, createdAt: now, expiresAt: now + durationMs, liftedAt: null };
    this.active.add(block);
    if (provisional) {
      const key = provisionalKey(block);
      const previous = this.provisional.get(key);
      if (previous) this.active.remove(previous);
      this.provisional.set(key, block.id);
      return { action, blockIds: [], persisted: Promise.resolve() };
    }
    const persisted = this.options.blocks.insert(block).then(
      () => this.options.onChange?.(),
      (error: unknown) => this.options.onError(error, 'storing a block'),
    );
    this.pendingBlockWrites.add(persisted);
    void persisted.finally(() => this.pendingBlockWrites.delete(persisted));
    return { action, blockIds: [block.id], persisted };
  }

  /**
   * Revokes the session (and so its access tokens: verification checks session revocation).
   * A user finding revokes every stored session of the user.
   */
  private revoke(finding: Finding, input: DetectionInput, sessionId: string | undefined): Applied {
    if (!sessionId && finding.entity.kind !== 'user') return observed();
    const { sessions } = this.options;
    const reason = `anomaly_${finding.detector}`.slice(0, 64) as `anomaly_${string}`;
    const user = finding.entity.kind === 'user' ? finding.entity.id : undefined;
    const work = (async () => {
      if (sessionId) await sessions.revoke(sessionOwner(input, sessionId), reason);
      if (user) await sessions.revokeAllOfUser(user, reason);
    })().catch((error: unknown) => this.options.onError(error, 'revoking a session'));
    if (sessionId) this.trackRevocation(sessionId, work);
    return { action: 'revoke', blockIds: [], persisted: work };
  }

  private dropProvisional(stored: Pick<Block, 'action' | 'entity'>): void {
    const key = provisionalKey(stored);
    const id = this.provisional.get(key);
    if (id === undefined) return;
    this.provisional.delete(key);
    this.active.remove(id);
  }

  /** Settles once every block decided so far is in the table (failures were already reported). */
  private async blockWritesSettled(): Promise<void> {
    if (this.pendingBlockWrites.size > 0) await Promise.all([...this.pendingBlockWrites]);
  }

  private trackRevocation(id: string, work: Promise<void>): void {
    const tracked = work.finally(() => {
      if (this.pendingRevocations.get(id) === tracked) this.pendingRevocations.delete(id);
    });
    this.pendingRevocations.set(id, tracked);
  }
}

/**
 * The session to revoke, with its user and client as the tipping event names them: a session
 * that never needed a row gets a tombstone that still says whose it was.
 */
function sessionOwner(input: DetectionInput, sessionId: string): RevocationTarget {
  if (!('session_id' in input) || input.session_id !== sessionId) return { id: sessionId };
  // A mismatch event's client_id is the presenting client; the session's own is named apart.
  const clientId = input.type === 'session.client_mismatch' ? input.session_client_id : input.client_id;
  return { id: sessionId, userId: input.subject ?? null, clientId: clientId ?? null };
}

function provisionalKey(block: Pick<Block, 'action' | 'entity'>): string {
  return `${block.action}|${block.entity.kind}:${block.entity.id}`;
}

function observed(): Applied {
  return { action: 'observe', blockIds: [], persisted: Promise.resolve() };
}
