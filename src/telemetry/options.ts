/** Options of the telemetry feature (see config/options.ts for how they are read and documented). */
export const telemetryOptions = {} as const;
