import { isIP } from 'node:net';
import { option, type OptionValues } from '../config/option.js';
import { parseBoolean, parseDuration, parseInteger, parseList } from '../config/parsers.js';

/** Svix's schedule, stretched to about three days: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h five times. */
const DEFAULT_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h,10h,10h,10h';

/** `10.0.0.0/8`, `fd00::/8` or a single address. */
export function parseCidrList(raw: string): string[] {
  const cidrs = parseList(raw);
  for (const cidr of cidrs) {
    const [address = '', bits, ...rest] = cidr.split('/');
    const family = isIP(address);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new Error(`must be a comma-separated list of CIDR blocks such as 10.0.0.0/8 or fd00::/8, got "${cidr}"`);
    }
  }
  return cidrs;
}

/** Options of the webhooks feature (collected with the others in app/config.ts). */
export const webhooksOptions = {
  webhookTimeout: option({
    env: 'GUESTPASS_WEBHOOK_TIMEOUT',
    default: 15,
    defaultDoc: '15s',
    doc: 'How long one webhook delivery may take, connecting included, before it counts as failed and is retried (seconds, or 500ms).',
    parse: (raw) => parseDuration(raw, { min: 0.1, max: 120 }),
  }),
  webhookClaimMargin: option({
    env: 'GUESTPASS_WEBHOOK_CLAIM_MARGIN',
    default: 10,
    defaultDoc: '10s',
    doc: "How long a node's claim on a delivery outlasts GUESTPASS_WEBHOOK_TIMEOUT: the time it has to record the attempt once the request ended (a slow commit). No other node sends the message meanwhile; a crashed node's deliveries are sent again once their claims lapse.",
    parse: (raw) => parseDuration(raw, { min: 1, max: 600 }),
  }),
  webhookRetrySchedule: option({
    env: 'GUESTPASS_WEBHOOK_RETRY_SCHEDULE',
    default: DEFAULT_SCHEDULE.split(',').map((entry) => parseDuration(entry)),
    defaultDoc: DEFAULT_SCHEDULE,
    doc: 'Delay before each delivery attempt, the first counted from the event, each next one from the failure before it; each delay is varied by ±20% (jitter). After the last attempt fails the message is marked failed. The default spans about three days.',
    parse: (raw) => {
      const delays = parseList(raw).map((entry) => parseDuration(entry, { max: 7 * 86400 }));
      if (delays.length === 0 || delays.length > 30) throw new Error('must list 1 to 30 delays, e.g. 0,5s,5m,30m');
      return delays;
    },
  }),
  webhookPollInterval: option({
    env: 'GUESTPASS_WEBHOOK_POLL_INTERVAL',
    default: 1,
    defaultDoc: '1s',
    doc: "How often the delivery worker looks for events and retries that are due. A commit on this node wakes it at once; polling finds other nodes' events and the retries whose time has come.",
    parse: (raw) => parseDuration(raw, { min: 0.05, max: 60 }),
  }),
  webhookConcurrency: option({
    env: 'GUESTPASS_WEBHOOK_CONCURRENCY',
    default: 16,
    doc: 'Deliveries each node has in flight at once.',
    parse: (raw) => parseInteger(raw, { min: 1, max: 256 }),
  }),
  webhookDisableAfter: option({
    env: 'GUESTPASS_WEBHOOK_DISABLE_AFTER',
    default: 5 * 86400,
    defaultDoc: '5d',
    doc: 'An endpoint none of whose deliveries has succeeded for this long, counted from its first failure, is disabled (an alert-level log line and guestpass_webhook_endpoints_disabled_total). Its messages wait until it is enabled again.',
    parse: (raw) => parseDuration(raw, { min: 0, max: 90 * 86400 }),
  }),
  webhookRetention: option({
    env: 'GUESTPASS_WEBHOOK_RETENTION',
    default: 30 * 86400,
    defaultDoc: '30d',
    doc: 'How long delivered and failed webhook messages and their attempts are kept (the messages API shows them until then); dispatched outbox rows are kept one day.',
    parse: (raw) => parseDuration(raw, { min: 60, max: 400 * 86400 }),
  }),
  webhookAllowPrivate: option({
    env: 'GUESTPASS_WEBHOOK_ALLOW_PRIVATE',
    default: false,
    doc: 'Deliver to loopback, private (RFC 1918, ULA), link-local (cloud metadata included), CGNAT and other non-public addresses. Off, a webhook URL whose name resolves to one is refused at delivery (SSRF guard); prefer GUESTPASS_WEBHOOK_ALLOWED_CIDRS for a known internal receiver.',
    parse: parseBoolean,
  }),
  webhookAllowedCidrs: option<string[]>({
    env: 'GUESTPASS_WEBHOOK_ALLOWED_CIDRS',
    default: [],
    defaultDoc: '(none)',
    doc: 'Non-public address blocks webhooks may still be delivered to, e.g. 10.1.2.0/24 for an internal receiver or 127.0.0.1/32 in development.',
    parse: parseCidrList,
  }),
  webhookAllowHttpLoopback: option({
    env: 'GUESTPASS_WEBHOOK_ALLOW_HTTP_LOOPBACK',
    default: false,
    doc: 'Development only: accept http:// webhook URLs whose host is loopback (localhost, 127.0.0.1, [::1]). Every other URL must be https://. Delivery to loopback also needs GUESTPASS_WEBHOOK_ALLOWED_CIDRS (or ALLOW_PRIVATE).',
    parse: parseBoolean,
  }),
} as const;

/** The values of the webhooks options, as the server's configuration holds them. */
export type WebhooksConfig = OptionValues<typeof webhooksOptions>;
