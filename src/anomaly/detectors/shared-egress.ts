import { BoundedLru } from '../../shared/bounded-lru.js';
import { DAY_MS } from '../../shared/time.js';

/** Distinct members remembered per network and set; a network past these counts is shared however many more it has. */
const SESSIONS_CAP = 12;
const COUNTERPARTS_CAP = 8;
const COUNTRIES_CAP = 8;

/** A capped set of recent distinct 32-bit hashes, each with when it was last seen. */
export class RecentDistinct {
  private readonly hashes: Uint32Array;
  private readonly times: Float64Array;
  private size = 0;

  constructor(cap: number) {
    this.hashes = new Uint32Array(cap);
    this.times = new Float64Array(cap);
  }

  /** Adds or refreshes `hash`; when full, the stalest member makes room. */
  add(hash: number, time: number): void {
    let stalest = 0;
    for (let i = 0; i < this.size; i++) {
      if (this.hashes[i] === hash) {
        this.times[i] = Math.max(this.times[i]!, time);
        return;
      }
      if (this.times[i]! < this.times[stalest]!) stalest = i;
    }
    const slot = this.size < this.hashes.length ? this.size++ : stalest;
    this.hashes[slot] = hash;
    this.times[slot] = time;
  }

  /** Members seen since `since`, excluding `except`. */
  count(since: number, except = -1): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) if (this.times[i]! >= since && this.hashes[i] !== except) n++;
    return n;
  }

  static bytes(cap: number): number {
    return cap * 12 + 64;
  }
}

interface Profile {
  sessions: RecentDistinct;
  counterparts: RecentDistinct;
}

/** One end of a move: the /24 or /48 and its wider block (hashes), and its country (two letters as a number, 0 unknown). */
export interface End {
  network: number;
  block: number;
  country: number;
}

export interface SharedEgressSettings {
  /** Distinct countries sessions arrived from at a wider block, in a day, that make it a shared egress; 0 never. */
  countries: number;
  /** Distinct wider blocks that sessions moved to or from this network, in a day, that make it a shared egress; 0 never. */
  counterparts: number;
  /** Distinct sessions seen arriving at this network, in a day, that make it busy; 0 never. */
  busySessions: number;
}

/**
 * What the population says about a /24 or /48, learned from every session's moves, plausible
 * or not, in bounded memory (a capped set of recent hashes per network, an LRU of networks):
 *
 * - a **shared egress** (carrier NAT, VPN exit, proxy) is where sessions from many different
 *   places go and come from: its counterparts (the /16 or /32 blocks at the other end of the
 *   moves) are many. A home network's counterparts are its residents' phone carrier and VPN,
 *   a handful at most; a thief's own network has its victims only.
 * - a **busy** network carries many distinct sessions a day. Its location is where its owner
 *   registered it, not where its users are, so a jump within one country through it is weak
 *   evidence.
 *
 * Neither signal depends on implausible jumps having happened first, so a carrier's /24 is
 * known as shared as soon as a few of its users have moved onto it from home, however near.
 */
export class SharedEgressProfiles {
  private readonly networks: BoundedLru<number, Profile>;
  /** Per wider block (/16, /32): the countries sessions arrived from (country codes as numbers). */
  private readonly blocks: BoundedLru<number, RecentDistinct>;

  constructor(
    private readonly settings: SharedEgressSettings,
    maxNetworks: number,
  ) {
    this.networks = new BoundedLru(maxNetworks);
    this.blocks = new BoundedLru(maxNetworks >> 2);
  }

  get approxBytes(): number {
    return (
      this.networks.size * (RecentDistinct.bytes(SESSIONS_CAP) + RecentDistinct.bytes(COUNTERPARTS_CAP) + 160) +
      this.blocks.size * (RecentDistinct.bytes(COUNTRIES_CAP) + 100)
    );
  }

  /** A session seen at `network` for the first time (it started or arrived there). */
  arrived(network: number, session: number, time: number): void {
    this.profile(network).sessions.add(session, time);
  }

  /**
   * A session moved between two networks: each end learns the other's wider block, and the
   * block it arrived at learns the country it came from. Only arrivals count for countries: a
   * home block's residents leave for VPN exits everywhere, but only its residents come home.
   */
  moved(from: End, to: End, time: number): void {
    if (from.network === to.network) return;
    this.profile(from.network).counterparts.add(to.block, time);
    this.profile(to.network).counterparts.add(from.block, time);
    if (from.country !== 0 && from.country !== to.country) this.arrivals(to.block).add(from.country, time);
  }

  /** Sessions from `countries` other countries than `exceptCountry` arrived at this block within a day: a VPN or proxy provider's. */
  isMultinational(block: number, time: number, exceptCountry: number): boolean {
    const countries = this.blocks.peek(block);
    return this.settings.countries > 0 && countries !== undefined && countries.count(time - DAY_MS, exceptCountry) >= this.settings.countries;
  }

  private arrivals(block: number): RecentDistinct {
    let countries = this.blocks.get(block);
    if (!countries) this.blocks.set(block, (countries = new RecentDistinct(COUNTRIES_CAP)));
    return countries;
  }

  /** Sessions from many places use it (counting only other blocks than `exceptBlock`, the jump being judged). */
  isShared(network: number, time: number, exceptBlock: number): boolean {
    const profile = this.networks.peek(network);
    return this.settings.counterparts > 0 && profile !== undefined && profile.counterparts.count(time - DAY_MS, exceptBlock) >= this.settings.counterparts;
  }

  /** Many distinct sessions other than `session` arrived there in the last day. */
  isBusy(network: number, time: number, session: number): boolean {
    const profile = this.networks.peek(network);
    return this.settings.busySessions > 0 && profile !== undefined && profile.sessions.count(time - DAY_MS, session) >= this.settings.busySessions;
  }

  private profile(network: number): Profile {
    let profile = this.networks.get(network);
    if (!profile) {
      profile = { sessions: new RecentDistinct(SESSIONS_CAP), counterparts: new RecentDistinct(COUNTERPARTS_CAP) };
      this.networks.set(network, profile);
    }
    return profile;
  }
}
