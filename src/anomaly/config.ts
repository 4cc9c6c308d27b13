/**
 * Configuration of the detection engine: per detector whether it runs, how much its findings
 * weigh, its thresholds, warm-up and memory bounds, and what containment does with its
 * findings. Durations are seconds, like every other Guestpass option. `parseDetectionConfig`
 * (config-schema.ts) reads a JSON file of overrides; anything left out keeps its default.
 */
import type { ContainmentAction } from './types.js';

/** What happens to the entity of a finding (docs: README "Abuse detection and containment"); applied by the server, not by the engine. */
export interface ContainmentConfig {
  /** `observe` records only; `throttle` answers 429; `revoke` ends the session and its tokens; `block_prefix` refuses the network; `quarantine` tags the session's telemetry. */
  action: ContainmentAction;
  /** How long `throttle`, `block_prefix` and `quarantine` last (s); ignored by `observe` and `revoke`. */
  duration_s: number;
}

/** What every detector has. */
export interface DetectorCommon {
  /** @default true */
  enabled: boolean;
  /** Multiplies the detector's score (0..1) before it is reported; `off_hours` is low on purpose. */
  weight: number;
  /** Findings about one entity within one such window are one alert (s). @default 3600 */
  alert_window_s: number;
  containment: ContainmentConfig;
}

export interface ImpossibleTravelConfig extends DetectorCommon {
  /** Faster than this between two sightings is impossible (km/h): a long-haul flight is ~900. @default 900 */
  max_speed_kmh: number;
  /** Shorter than this, after subtracting both locations' accuracy radii, is never travel (km). @default 100 */
  min_distance_km: number;
  /** Score multiplier when either end is a hosting/VPN range; 0 skips such pairs. @default 0 */
  datacenter_factor: number;
  /**
   * A network that this many other sessions have jumped to or from implausibly is a shared
   * egress (VPN exit, carrier NAT placed far away) and is treated like a hosting range; 0 never
   * learns this. @default 2
   */
  shared_network_sessions: number;
  /**
   * A network that sessions moved to or from (plausibly or not) from this many distinct wider
   * blocks within a day is a shared egress, treated like a hosting range. @default 4
   */
  shared_network_origins: number;
  /**
   * A network that this many distinct sessions reached within a day is busy: a jump within one
   * country through it is not reported. @default 8
   */
  busy_network_sessions: number;
  /**
   * Learn, per country, how far the population's implausible same-country jumps reach (carrier
   * NAT placed in one city), and do not report a same-country jump within that. @default true
   */
  learn_country_spread: boolean;
  /**
   * For this long after the detector's first event (event time, s), a session's same-country
   * jump is learnt from but not reported while its country's spread is still unknown: a fresh
   * server has not yet seen where the country's carriers place their phones. Jumps across
   * countries, and users in new sessions, are judged from the first event. 0 reports at once.
   * @default 3600
   */
  country_spread_warmup_s: number;
  /**
   * A /16 (or /32) that sessions arrived at from this many other countries within a day is a
   * VPN or proxy provider's, treated like a hosting range. @default 3
   */
  shared_block_countries: number;
  /** Also follow users across their sessions (a stolen account used elsewhere). @default true */
  track_users: boolean;
  /** Sessions remembered (least recently seen forgotten first). @default 1048576 */
  max_sessions: number;
  /** Users remembered. @default 524288 */
  max_users: number;
}

/** A per-session rate compared with the population's robust baseline (refresh_storm, ingestion_spike). */
export interface SessionRateConfig extends DetectorCommon {
  /** Counting window (s). @default 60 */
  window_s: number;
  /** Never alert below this many per window (an absolute floor). */
  floor: number;
  /** Modified z-score of log(1 + rate) against the population above which a rate is anomalous. @default 3.5 */
  z_threshold: number;
  /** Smallest MAD (of log(1 + rate)) used, for populations where nearly every session has the same rate. @default 0.35 */
  mad_floor: number;
  /** Per-session windows observed before the baseline is trusted. @default 50 */
  warmup_samples: number;
  /** Recent per-session windows the population baseline is computed from. @default 512 */
  baseline_size: number;
  /** Sessions with a window in progress remembered. @default 262144 */
  max_sessions: number;
}

export interface SignupFloodConfig extends DetectorCommon {
  /** Counting window for guest creations (s). @default 60 */
  window_s: number;
  /** Never alert on a /24 or /48 below this many creations per window. @default 20 */
  prefix_floor: number;
  /** Never alert on an ASN below this many creations per window. @default 60 */
  asn_floor: number;
  /**
   * An ASN outside the hosting list is reported only when its creations in the window average
   * at least this many per /24 or /48: a flood concentrates on a few networks, while a crowd
   * from one country (a launch, a TV spot) spreads over a national ISP's many. 0 turns this
   * off. Floods from one network are still reported per network. @default 3
   */
  asn_min_per_network: number;
  /** Modified z-score against the hour-of-week baseline above which a count is anomalous. @default 3.5 */
  z_threshold: number;
  /** Smallest MAD (creations per window). @default 1 */
  mad_floor: number;
  /** Networks and ASNs that get their own hour-of-week baseline (the heaviest, by Space-Saving). @default 512 */
  tracked_keys: number;
  /** Windows a baseline must have seen before it is trusted. @default 30 */
  warmup_windows: number;
  /** Window for distinct sessions per network (s). @default 600 */
  distinct_window_s: number;
  /** Never alert below this many distinct sessions from one network per distinct window. @default 150 */
  distinct_floor: number;
  /** Distinct windows a network's own baseline must have seen before it is trusted. @default 3 */
  distinct_warmup_windows: number;
}

export interface DistributedStuffingConfig {
  /** Counting window for failures against one client from everywhere (s). @default 300 */
  window_s: number;
  /** Never alert below this many failures per window. @default 12 */
  failures_floor: number;
  /** The failures must come from at least this many networks (it is distributed)… @default 6 */
  prefixes_floor: number;
  /** …against at least this many accounts (it is spraying, not one forgetful user). @default 6 */
  accounts_floor: number;
  /** Windows of the client's failure baseline before it is trusted. @default 12 */
  warmup_windows: number;
  /** An account failing again within this long is the same person retrying, not a new attempt (s). @default 1800 */
  new_account_s: number;
  /** The burst check counts first failures in this window and in four times it (s). @default 60 */
  burst_window_s: number;
  /** A burst alarms when so many first failures are less likely than this under the learned rate (Poisson). @default 0.0001 */
  burst_p_value: number;
  /** Never a burst below this many first failures in a window. @default 4 */
  burst_min_failures: number;
  /** Minutes of the client's failure rate learned before the burst check alerts. @default 30 */
  burst_warmup_minutes: number;
}

export interface CredentialStuffingConfig extends DetectorCommon {
  /** Counting window for failures per network (s). @default 300 */
  window_s: number;
  /** Never alert on a network below this many failed logins per window. @default 20 */
  failures_floor: number;
  /** Never alert on a network below this many distinct accounts failing per window. @default 10 */
  accounts_floor: number;
  /** Modified z-score of log(1 + count) against the population of networks. @default 3.5 */
  z_threshold: number;
  /** Smallest MAD of log(1 + count). @default 0.5 */
  mad_floor: number;
  /** Per-network windows observed before the baseline is trusted. @default 30 */
  warmup_samples: number;
  /** Networks with login activity remembered. @default 16384 */
  max_prefixes: number;
  /** Clients remembered for the distributed (low-and-slow) check. @default 1024 */
  max_clients: number;
  distributed: DistributedStuffingConfig;
}

export interface OffHoursConfig extends DetectorCommon {
  /** Sliding window over which a client's events from one place are counted (s); baselines are per such window. @default 60 */
  window_s: number;
  /** Never alert below this many events (telemetry counts its events) per client and place in a window. @default 40 */
  floor: number;
  /**
   * An hour is an off hour for a client and place when its usual traffic is at most this share
   * of the busiest hour of the day there; only off hours are judged. @default 0.35
   */
  off_hour_share: number;
  /**
   * A window's requests (or its events at the key's usual batch size, if more) are off-hours
   * traffic when a Poisson count at the usual rate of this hour (the hour-of-week slot, the
   * hour of the day until it is warm) would reach them less often than this. Judged every
   * minute of every client and place (a week is about a million key-minutes), and traffic is
   * burstier than Poisson, so it is small. @default 1e-9
   */
  p_value: number;
  /** Weeks an hour-of-week slot must have seen before it is trusted. @default 1 */
  warmup_weeks: number;
  /** Client and place (country and solar time zone) pairs remembered. @default 4096 */
  max_clients: number;
}

export interface UserCodeGuessingConfig extends DetectorCommon {
  /** Counting window for wrong user codes per network (s); the previous window decays into it. @default 300 */
  window_s: number;
  /**
   * Wrong user codes from one /24 or /48 in a window that make a finding. A person mistypes a
   * code once or twice; the verification page lets an address try 10 a minute. @default 10
   */
  prefix_floor: number;
  /** Networks remembered. @default 16384 */
  max_prefixes: number;
}

export interface ScopeProbingConfig extends DetectorCommon {
  /** Counting window for refused scopes per network (s); the previous window decays into it. @default 600 */
  window_s: number;
  /**
   * Distinct scope names refused to one /24 or /48 in a window that make a finding. A stale
   * app build asks for one removed scope, a developer mistypes one or two. @default 4
   */
  distinct_floor: number;
  /** Refused requests from one network in a window, naming scopes few other networks were refused, that make a finding. @default 20 */
  request_floor: number;
  /** A scope name this many networks were refused (per client, within a day) is a stale build's, not a probe's. @default 5 */
  common_networks: number;
  /** Networks (and client/scope names) remembered. @default 16384 */
  max_prefixes: number;
}

export interface RevocationChainConfig extends DetectorCommon {
  /** A session created this long after a session of the same client was revoked on the same network is a link of a chain (s). @default 30 */
  relink_s: number;
  /** Links in a window before a chain can be reported: one logout and login again is a person, a loop repeats. @default 2 */
  min_links: number;
  /**
   * Evidence (nats) a chain must reach: each link adds −ln(chance that a session of anyone
   * would have been created that soon on that network, at its usual creation rate), so a busy
   * carrier NAT, where some session is always being created, adds almost nothing. @default 9
   */
  surprise_floor: number;
  /** Chains are counted per network and client within this window, the previous decaying into it (s). @default 3600 */
  window_s: number;
  /**
   * A revoked session that lived at most this long on the network it was created on was a
   * throwaway: its re-creation is the loop's whole cycle seen once, and counts as a link of
   * its own, weighing −ln(share of all sessions that end so young) (s). One link is thin
   * evidence, tested at every quick logout: at 120 s, a person's logout after a short visit
   * followed by a neighbour's new session on the same /24 was named about once a day in the
   * simulator's week (lives of 87–113 s); scripts shed sessions faster. @default 60
   */
  short_life_s: number;
  /** Networks remembered. @default 65536 */
  max_prefixes: number;
  /**
   * Recently created sessions whose network is remembered, for revocations that carry none
   * (an admin's, containment's): a chain's sessions are young, so a small table holds them.
   * @default 16384
   */
  max_sessions: number;
}

export interface AccountNewNetworkConfig extends DetectorCommon {
  /** Countries remembered per user. @default 4 */
  max_countries: number;
  /** Users remembered. @default 262144 */
  max_users: number;
}

export interface DetectionConfig {
  engine: {
    /** (detector, entity, window) keys remembered to emit each finding once. @default 65536 */
    dedup_entries: number;
    /** Allow-listed entities remembered. @default 65536 */
    allow_list_entries: number;
    /**
     * Before a baseline is warm, only counts at or above `floor × cold_floor_factor` alert, so
     * a blatant attack in the first minutes is still caught; 0 keeps cold detectors silent.
     * @default 2
     */
    cold_floor_factor: number;
  };
  detectors: {
    token_reuse: DetectorCommon;
    client_mismatch: DetectorCommon;
    dpop_mismatch: DetectorCommon;
    impossible_travel: ImpossibleTravelConfig;
    refresh_storm: SessionRateConfig;
    signup_flood: SignupFloodConfig;
    credential_stuffing: CredentialStuffingConfig;
    off_hours: OffHoursConfig;
    ingestion_spike: SessionRateConfig;
    user_code_guessing: UserCodeGuessingConfig;
    scope_probing: ScopeProbingConfig;
    revocation_chain: RevocationChainConfig;
    account_new_network: AccountNewNetworkConfig;
  };
}

export type DetectorName = keyof DetectionConfig['detectors'];

const HOUR = 3600;
const common = (weight: number, action: ContainmentAction, duration_s = 0): DetectorCommon => ({
  enabled: true,
  weight,
  alert_window_s: HOUR,
  containment: { action, duration_s },
});

/** The defaults; every value is documented on its field above. */
export const defaultDetectionConfig: DetectionConfig = {
  engine: { dedup_entries: 65_536, allow_list_entries: 65_536, cold_floor_factor: 2 },
  detectors: {
    // RFC 9700 §4.14.2: reuse of a rotated refresh token means it leaked; end the session.
    token_reuse: common(1, 'revoke'),
    client_mismatch: common(1, 'revoke'),
    dpop_mismatch: common(1, 'revoke'),
    impossible_travel: {
      ...common(0.9, 'revoke'),
      max_speed_kmh: 900,
      min_distance_km: 100,
      datacenter_factor: 0,
      shared_network_sessions: 2,
      shared_network_origins: 4,
      busy_network_sessions: 8,
      learn_country_spread: true,
      country_spread_warmup_s: 3600,
      shared_block_countries: 3,
      track_users: true,
      max_sessions: 1_048_576,
      max_users: 524_288,
    },
    refresh_storm: {
      ...common(0.8, 'throttle', 600),
      window_s: 60,
      floor: 10,
      z_threshold: 3.5,
      mad_floor: 0.35,
      warmup_samples: 50,
      baseline_size: 512,
      max_sessions: 262_144,
    },
    signup_flood: {
      ...common(0.8, 'block_prefix', 900),
      window_s: 60,
      prefix_floor: 20,
      asn_floor: 60,
      asn_min_per_network: 3,
      z_threshold: 3.5,
      mad_floor: 1,
      tracked_keys: 512,
      warmup_windows: 30,
      distinct_window_s: 600,
      distinct_floor: 150,
      distinct_warmup_windows: 3,
    },
    credential_stuffing: {
      ...common(0.9, 'block_prefix', 900),
      window_s: 300,
      failures_floor: 20,
      accounts_floor: 10,
      z_threshold: 3.5,
      mad_floor: 0.5,
      warmup_samples: 30,
      max_prefixes: 16_384,
      max_clients: 1024,
      distributed: {
        window_s: 300,
        failures_floor: 12,
        prefixes_floor: 6,
        accounts_floor: 6,
        warmup_windows: 12,
        new_account_s: 1800,
        burst_window_s: 60,
        burst_p_value: 0.0001,
        burst_min_failures: 4,
        burst_warmup_minutes: 30,
      },
    },
    off_hours: {
      ...common(0.3, 'observe'),
      window_s: 60,
      floor: 40,
      off_hour_share: 0.35,
      p_value: 1e-9,
      warmup_weeks: 1,
      max_clients: 4096,
    },
    ingestion_spike: {
      ...common(0.7, 'quarantine', HOUR),
      window_s: 60,
      floor: 600,
      z_threshold: 3.5,
      mad_floor: 0.35,
      warmup_samples: 50,
      baseline_size: 512,
      max_sessions: 262_144,
    },
    // RFC 8628 §5.1: user codes are guessable by brute force; a burst from one network is that.
    user_code_guessing: {
      ...common(0.8, 'block_prefix', 900),
      window_s: 300,
      prefix_floor: 10,
      max_prefixes: 16_384,
    },
    scope_probing: {
      ...common(0.8, 'throttle', 900),
      window_s: 600,
      distinct_floor: 4,
      request_floor: 20,
      common_networks: 5,
      max_prefixes: 16_384,
    },
    revocation_chain: {
      ...common(0.7, 'throttle', 900),
      relink_s: 30,
      min_links: 2,
      surprise_floor: 9,
      window_s: 3600,
      short_life_s: 60,
      max_prefixes: 65_536,
      max_sessions: 16_384,
    },
    account_new_network: {
      // Weak alone (people travel, switch on a VPN): it colours other alerts about the user.
      ...common(0.4, 'observe'),
      alert_window_s: 86_400,
      max_countries: 4,
      max_users: 262_144,
    },
  },
};

/** The containment configured for a finding's detector (`finding.detector`); undefined for an unknown name. */
export function containmentFor(config: DetectionConfig, detector: string): ContainmentConfig | undefined {
  return Object.hasOwn(config.detectors, detector) ? config.detectors[detector as DetectorName].containment : undefined;
}
