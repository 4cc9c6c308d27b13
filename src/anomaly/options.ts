/** Options of the anomaly feature (see config/options.ts for how they are read and documented). */
export const anomalyOptions = {} as const;
