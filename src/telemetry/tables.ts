/** Table types of the telemetry feature (Kysely); conventions as in storage/schema.ts. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TelemetryTables {}
