import { option, type OptionValues } from '../config/option.js';
import { parseDuration, parseInteger } from '../config/parsers.js';

/** Options of the devices feature (RFC 8628), collected with the others in app/config.ts. */
export const deviceOptions = {
  deviceCodeTtl: option({
    env: 'GUESTPASS_DEVICE_CODE_TTL',
    default: 600,
    defaultDoc: '10m',
    doc: 'How long a device code and its user code stay valid (RFC 8628 `expires_in`; seconds, or 5m, 15m; 60 s to 30 min).',
    parse: (raw) => parseDuration(raw, { min: 60, max: 1800 }),
  }),
  devicePollInterval: option({
    env: 'GUESTPASS_DEVICE_POLL_INTERVAL',
    default: 5,
    doc: 'Seconds a device waits between polls of the token endpoint (RFC 8628 `interval`, 1 to 60); each `slow_down` adds 5 for that device.',
    parse: (raw) => parseInteger(raw, { min: 1, max: 60 }),
  }),
  deviceRateLimitPerIp: option({
    env: 'GUESTPASS_DEVICE_RATE_LIMIT_PER_IP',
    default: 30,
    doc: 'Device authorization requests (POST /oauth/device_authorization) per IP address per minute; 0 turns the limit off.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  userCodeRateLimitPerIp: option({
    env: 'GUESTPASS_USER_CODE_RATE_LIMIT_PER_IP',
    default: 10,
    doc: 'User codes looked up or submitted at the verification page (/device) per IP address per minute; 0 turns the limit off.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
  userCodeRateLimitPerCode: option({
    env: 'GUESTPASS_USER_CODE_RATE_LIMIT_PER_CODE',
    default: 5,
    doc: 'Uses of one user code at the verification page per minute, from any address (showing it and deciding take one each); 0 turns the limit off.',
    parse: (raw) => parseInteger(raw, { min: 0 }),
  }),
} as const;

export type DevicesConfig = OptionValues<typeof deviceOptions>;
