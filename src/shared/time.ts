/** Milliseconds in a minute, an hour and a (UTC) day: epoch times are milliseconds throughout. */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
