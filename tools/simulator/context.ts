import type { DomainEvent } from '../../src/events/types.js';
import type { City, Places } from './places/index.js';
import type { Rng } from './prng.js';
import type { SimClient } from './server-model.js';
import type { GroundTruth } from './truth.js';

/** A registered account (for logins, takeovers and stuffing that hits real accounts). */
export interface RegisteredAccount {
  userId: string;
  accountKey: string;
  city: City;
}

/** What every actor may read: the window, the map, the clients, the accounts, the ground truth. */
export interface SimContext {
  /** Event time of the first and after the last event (ms). */
  start: number;
  end: number;
  places: Places;
  clients: {
    /** The web app (a multi-tab SPA: guest.refresh_grace 10 s, so two tabs refreshing at once is not reuse). */
    web: SimClient;
    /** The mobile app (grace 0, the server default: one process holds the token). */
    mobile: SimClient;
    /** A second application of the same tenant (what a client-id swap presents a stolen token to). */
    partner: SimClient;
  };
  accounts: RegisteredAccount[];
  /**
   * Only what guest sessions can do: no logins, sign-ups or account takeovers (for --live
   * against a server without registered accounts); failed logins are still attempted.
   */
  guestOnly: boolean;
  truth: GroundTruth;
}

/**
 * One actor: a visitor, a traveller, an attack. Instantiated lazily when the replay reaches
 * `time` (so memory holds only live actors), with its own random stream named by `name`; it
 * returns its events, none before `time`, in any order (the scheduler sorts them).
 */
export interface ActorSpec {
  time: number;
  name: string;
  run(ctx: SimContext, rng: Rng): DomainEvent[];
}
