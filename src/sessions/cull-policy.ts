import { DEFAULT_GUEST_SETTINGS, retentionOf, type Client } from '../clients/index.js';
import { LAST_SEEN_PRECISION_MS } from './user-store.js';

/**
 * Margin for clocks that disagree between nodes: a session counts as expired, or idle, this
 * long after its own clock says so.
 */
export const CULL_SKEW_MS = 5 * 60_000;

/**
 * What "stale" means at one instant, per client, fixed for a whole run so that a dry run and
 * the real run that follows it judge every row alike. All values are epoch milliseconds.
 */
export interface CullPolicy {
  now: number;
  /**
   * Per client, a guest whose last activity is before this is stale: now − retention − the
   * precision of `last_seen_at`. Clients with the default cutoff are left out.
   */
  staleBefore: Map<string, number>;
  /** For guests of a client that no longer exists (their tokens are refused): the default retention. */
  defaultStaleBefore: number;
  /** The latest cutoff of all: an index bound for the scan. */
  latestStaleBefore: number;
  /**
   * Per client, a session last used (created or refreshed) before this is idle. A client that
   * no longer exists has none: its sessions are refused anyway.
   */
  idleBefore: Map<string, number>;
  /** Sessions (and tombstones) that expired before this are purged; no token of theirs is accepted. */
  expiredBefore: number;
}

/** The policy at `now` for the registered clients. */
export function cullPolicy(clients: readonly Pick<Client, 'id' | 'guest'>[], now: number): CullPolicy {
  const cutoff = (retentionSeconds: number) => now - retentionSeconds * 1000 - LAST_SEEN_PRECISION_MS;
  const defaultStaleBefore = cutoff(retentionOf(DEFAULT_GUEST_SETTINGS));
  const staleBefore = new Map<string, number>();
  const idleBefore = new Map<string, number>();
  let latestStaleBefore = defaultStaleBefore;
  for (const client of clients) {
    const before = cutoff(retentionOf(client.guest));
    if (before !== defaultStaleBefore) staleBefore.set(client.id, before);
    latestStaleBefore = Math.max(latestStaleBefore, before);
    idleBefore.set(client.id, now - client.guest.idleTimeout * 1000 - CULL_SKEW_MS);
  }
  return { now, staleBefore, defaultStaleBefore, latestStaleBefore, idleBefore, expiredBefore: now - CULL_SKEW_MS };
}

/** `map`'s keys grouped by value: one CASE arm per distinct value instead of one per client. */
export function groupByValue(map: ReadonlyMap<string, number>): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const [key, value] of map) {
    const group = groups.get(value);
    if (group) group.push(key);
    else groups.set(value, [key]);
  }
  return groups;
}
