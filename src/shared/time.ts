/** Milliseconds in an hour and in a (UTC) day: epoch times are milliseconds throughout. */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
