import { option, type OptionValues } from '../config/option.js';
import { parseDuration } from '../config/parsers.js';

/** Options of the operators feature (collected with the others in app/config.ts). */
export const operatorOptions = {
  consoleIdleTimeout: option({
    env: 'GUESTPASS_CONSOLE_IDLE_TIMEOUT',
    default: 1800,
    defaultDoc: '30m',
    doc: 'A console session with no authenticated request for this long ends; the operator signs in again (seconds, or 15m, 1h). Activity is written at most once a minute per session.',
    parse: (raw) => parseDuration(raw, { min: 1, max: 86400 }),
  }),
  consoleSessionLifetime: option({
    env: 'GUESTPASS_CONSOLE_SESSION_LIFETIME',
    default: 12 * 3600,
    defaultDoc: '12h',
    doc: 'The longest a console session lasts from sign-in, however active (seconds, or 8h, 1d); the cookie expires with it.',
    parse: (raw) => parseDuration(raw, { min: 1, max: 7 * 86400 }),
  }),
} as const;

/** The values of the operators options, as the server's configuration holds them. */
export type OperatorsConfig = OptionValues<typeof operatorOptions>;
