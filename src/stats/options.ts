import { option, type OptionValues } from '../config/option.js';
import { parseDuration } from '../config/parsers.js';

/** Options of the stats feature (collected with the others in app/config.ts). */
export const statsOptions = {
  statsFlushInterval: option({
    env: 'GUESTPASS_STATS_FLUSH_INTERVAL',
    default: 5,
    defaultDoc: '5s',
    doc: 'How often each node writes the active users and lifecycle counts it saw to the database (seconds, or 500ms, 1m); also on shutdown. A crash loses at most this much of them: they are statistics no request waited for.',
    parse: (raw) => parseDuration(raw, { min: 0.1, max: 300 }),
  }),
} as const;

/** The values of the stats options, as the server's configuration holds them. */
export type StatsConfig = OptionValues<typeof statsOptions>;
