export { createGuestpass } from './client.js';
export { GuestpassError, type GuestpassErrorCode } from './errors.js';
export { indexedDbStorage, memoryStorage, type GuestpassStorage } from './storage.js';
export type { TelemetryContext, TelemetryEvent, TelemetryOptions } from './telemetry.js';
export type { Guestpass, GuestpassChange, GuestpassOptions, GuestpassUser, GuestSession } from './types.js';
