import { type ClientCache, cachedClient } from '../clients/index.js';
import type { Outbox } from '../events/outbox.js';
import type { NetworkInfo } from '../events/types.js';
import { accountError } from './error-codes.js';
import type { AccountConfig } from './options.js';
import { mergeMetadata, type MergeResult } from './merge/merge-metadata.js';
import type { MergeStrategies } from './merge/strategies.js';
import type { AccountRecord, AccountStore } from './store.js';

/** A guest the caller proved to hold (its session token), to carry over into an account. */
export interface GuestHandle {
  userId: string;
  sessionId: string | null;
  clientId: string;
}

export type CarryOverMethod = 'email' | 'login' | 'id_token';

/** What carrying a guest over takes: the client's merge strategies, the clock and the outbox. */
export interface CarryOverDeps {
  /** `user.merged` and `user.converted` are staged in the transaction of the merge or promotion. */
  outbox: Pick<Outbox, 'stage'>;
  now: () => number;
  clientCache: Pick<ClientCache, 'lookup'>;
  config: Pick<AccountConfig, 'mergeStrategies'>;
}

export interface CarryOverContext extends CarryOverDeps {
  store: AccountStore;
  network?: NetworkInfo;
}

/**
 * The strategies for merging a guest: GUESTPASS_MERGE_STRATEGIES, overridden key by key by the
 * guest's own client (the application whose data it is).
 */
export async function strategiesFor(deps: Pick<CarryOverDeps, 'clientCache' | 'config'>, clientId: string | null): Promise<MergeStrategies> {
  const client = clientId ? await cachedClient(deps.clientCache, clientId).catch(() => undefined) : undefined;
  return { ...deps.config.mergeStrategies, ...client?.guest.mergeStrategies };
}

/** What a merge would produce, without writing (POST /accounts/merge/preview). */
export async function previewMerge(deps: Pick<CarryOverDeps, 'clientCache' | 'config'>, account: AccountRecord, guest: AccountRecord): Promise<MergeResult> {
  const strategies = await strategiesFor(deps, guest.createdByClient);
  return mergeMetadata(account, guest, strategies);
}

/**
 * Merges a guest into an existing account: one transaction in the store (metadata, alias, the
 * guest's sessions revoked, the presented one included, and their outbound events staged),
 * then `session.revoked` for each of those sessions and `user.merged`, which carries both ids
 * so applications can move their own rows, are announced.
 */
export async function mergeGuest(carry: CarryOverContext, guest: GuestHandle, account: AccountRecord, method: CarryOverMethod): Promise<AccountRecord> {
  const { store, network, outbox } = carry;
  const strategies = await strategiesFor(carry, guest.clientId);
  const now = carry.now();
  const outcome = await store.merge({
    guest: { userId: guest.userId, clientId: guest.clientId || null, sessionId: guest.sessionId },
    accountId: account.id,
    now,
    network,
    mergeFunction: (current, guestRecord) => mergeMetadata(current, guestRecord, strategies).metadata,
    stage: (trx) =>
      outbox.stage(trx, [
        {
          type: 'user.merged',
          time: now,
          client_id: guest.clientId,
          subject: account.id,
          guest_id: guest.userId,
          account_id: account.id,
          method,
          ...(network ? { network } : {}),
        },
      ]),
  });
  if (!outcome) throw accountError('GUEST_MERGED', 'This guest was already merged or registered; its data cannot be carried over again.');
  outcome.revocations.announce();
  outcome.staged.announce();
  return outcome.account;
}

export interface PromotionInput {
  email: string | null;
  passwordHash: string | null;
}

/**
 * Promotion in place (DESIGN §2.2): same user id, metadata kept, `is_anonymous` false, and
 * `user.converted` staged in the same transaction. Returns undefined when the guest can no
 * longer be promoted (merged, already registered, or the address was taken meanwhile); the
 * caller then creates a fresh account instead.
 */
export async function promoteGuest(
  { outbox, now: clock, store, network }: CarryOverContext,
  guest: GuestHandle,
  input: PromotionInput,
  method: 'email' | 'id_token',
): Promise<AccountRecord | undefined> {
  const now = clock();
  const staged = await store.promote(guest.userId, guest.clientId, { ...input, now }, (trx) =>
    outbox.stage(trx, [
      {
        type: 'user.converted',
        time: now,
        client_id: guest.clientId,
        subject: guest.userId,
        method,
        ...(guest.sessionId ? { session_id: guest.sessionId } : {}),
        ...(network ? { network } : {}),
      },
    ]),
  );
  if (!staged) return undefined;
  staged.announce();
  return store.get(guest.userId);
}
