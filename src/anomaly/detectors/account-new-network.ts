import type { AccountNewNetworkConfig } from '../config.js';
import { BoundedLru } from '../../shared/bounded-lru.js';
import type { DetectionContext, DetectionInput, Finding, GeoLocation, Severity } from '../types.js';
import { finding, locate, networkEvidence, NONE, sessionOf, type EngineDetector } from './common.js';
import { isUnusualHour, learnHour, newUsualHours, usualHourRanges, type UsualHours, hourOf } from './usual-hours.js';

/**
 * The kinds of network a person is on. Home broadband and a phone's carrier are one kind on
 * purpose: every phone switches between them several times a day. A hosting range (a cloud
 * server, a VPN exit, a proxy) is the other: where scripts and stolen tokens are used from.
 */
type NetworkKind = 'consumer' | 'hosting';

interface AccountHistory {
  countries: string[];
  kinds: Set<NetworkKind>;
  sightings: number;
  /** The user's last few sessions and where each was last seen: a session that moves without a login is its token moving. */
  sessions: { id: string; country: string; kind: NetworkKind }[];
  /** When the user is usually seen (hour of the day, UTC): an hour they never keep colours a finding. */
  hours: UsualHours;
}

const SESSIONS_PER_USER = 4;

/**
 * A registered account seen from a country or a kind of network it has never been seen on (a
 * per-user baseline learned from the account's own history). A moved session is reported only
 * abroad: onto a hosting range in its own country it is as often a corporate proxy as a thief.
 * People travel and switch VPNs on, so on its own this is weak, low severity and observe-only;
 * it is what makes another alert about the same user convincing. Judged is a session seen
 * before elsewhere that is now refreshed from abroad (the token travelled, not the password);
 * logins are learnt as history. A session never seen before that shows up refreshing is a
 * device the user signed in on before this history began (a second phone), and is learnt from
 * silently. Medium when country and kind are both new for a moved session: a stolen session
 * used slowly from a proxy abroad looks like that, a traveller mostly like one of the two.
 * Guests have no history worth keeping (one session each); only `is_anonymous: false`
 * sessions and logins are followed.
 *
 * The user's usual hours never make an alert alone: a person up at night once is no news. A
 * moved session at an hour the user keeps rarely (usual-hours.ts) is one severity higher; any
 * sighting at such an hour while the engine already holds the user as suspect (another
 * detector, or this one, reported them) is a low finding of its own, naming the usual hours,
 * so that the analyst sees the account is used off its owner's habits.
 */
export class AccountNewNetworkDetector implements EngineDetector {
  readonly name = 'account_new_network';
  private readonly users: BoundedLru<string, AccountHistory>;

  constructor(private readonly config: AccountNewNetworkConfig) {
    this.users = new BoundedLru(config.max_users);
  }

  get approxBytes(): number {
    // The history, plus 24 × 2 bytes of hour counts and the typed array's own header.
    return this.users.size * 420;
  }

  observe(input: DetectionInput, context: DetectionContext): Finding[] {
    // A login, a verification, a device approval or a transfer each start a session of the user (`session.created`).
    const registered = (input.type === 'session.created' || input.type === 'session.refreshed') && input.is_anonymous === false;
    if (!registered || !input.subject || !input.network) return NONE;
    const location = locate(input, context);
    if (!location?.country) return NONE;
    const kind = kindOf(location);
    const sessionId = sessionOf(input);
    let history = this.users.get(input.subject);
    if (!history) {
      history = { countries: [], kinds: new Set(), sightings: 0, sessions: [], hours: newUsualHours() };
      this.users.set(input.subject, history);
    }
    const newCountry = !history.countries.includes(location.country);
    // Only a move onto a hosting range says something: leaving a VPN for home is not news.
    const newKind = kind === 'hosting' && !history.kinds.has(kind);
    const seen = sessionId === undefined ? undefined : history.sessions.find((s) => s.id === sessionId);
    const movedSession = input.type === 'session.refreshed' && seen !== undefined && (seen.country !== location.country || seen.kind !== kind);
    // Only a moved session is judged, against the session's own past: its token travelled
    // without a login. A login is kept as history, never reported: people log in abroad all the
    // time, and a login from a "hosting" range was, in the simulator's week of traffic, nearly
    // always a home line the IP database labels as hosting (249 of 299 false alerts); a login
    // proves the password, and password abuse is the stuffing detectors' to find.
    // A session moving onto a hosting range in its own country is, as often as not, a person
    // reaching work behind a corporate proxy or a relay service (egresses in hosting ASNs): a
    // new kind is news only abroad. (Waiting for a few sightings first cost a fifth of the
    // stolen sessions in the simulator: a thief often uses a token soon after its login.)
    const judged = movedSession && newCountry;
    const unusualHour = isUnusualHour(history.hours, input.time);
    const entity = { kind: 'user' as const, id: input.subject };
    const allowListed = context.isAllowListed(entity, input.time);
    // An allow-listed user's new places are not learnt either: feedback said "watch, don't judge".
    if (!allowListed) {
      history.sightings++;
      learnHour(history.hours, input.time);
      if (newCountry) {
        history.countries.push(location.country);
        if (history.countries.length > this.config.max_countries) history.countries.shift();
      }
      history.kinds.add(kind);
    }
    const previousKind = seen?.kind;
    if (seen) {
      seen.country = location.country;
      seen.kind = kind;
    } else if (sessionId !== undefined) {
      history.sessions.push({ id: sessionId, country: location.country, kind });
      if (history.sessions.length > SESSIONS_PER_USER) history.sessions.shift();
    }
    if (allowListed) return NONE;
    const hourEvidence = unusualHour ? { unusual_hour_utc: hourOf(input.time), usual_hours_utc: usualHourRanges(history.hours) } : {};
    if (!judged) {
      if (!unusualHour || !context.isSuspect(entity, input.time)) return NONE;
      return [
        finding(
          this.name,
          this.config,
          entity,
          input.time,
          0.5,
          {
            network_kind: kind,
            known_countries: history.countries,
            sightings: history.sightings,
            via: 'unusual_hour',
            ...hourEvidence,
            ...networkEvidence(input, context),
          },
          'low',
        ),
      ];
    }
    const both = newCountry && newKind && movedSession;
    const severity: Severity = both ? 'medium' : 'low';
    return [
      finding(
        this.name,
        this.config,
        entity,
        input.time,
        both ? 1 : 0.6,
        {
          new_country: newCountry,
          new_network_kind: newKind,
          network_kind: kind,
          ...(previousKind ? { previous_network_kind: previousKind } : {}),
          known_countries: history.countries.filter((c) => c !== location.country),
          sightings: history.sightings,
          via: 'session_moved',
          ...hourEvidence,
          ...networkEvidence(input, context),
        },
        unusualHour ? raised(severity) : severity,
      ),
    ];
  }
}

/** One severity up: what an hour the user never keeps adds to a moved session. */
function raised(severity: Severity): Severity {
  return severity === 'low' ? 'medium' : 'high';
}

function kindOf(location: GeoLocation): NetworkKind {
  return location.datacenter ? 'hosting' : 'consumer';
}
